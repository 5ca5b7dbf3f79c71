//! tesim-template (work in progress).
