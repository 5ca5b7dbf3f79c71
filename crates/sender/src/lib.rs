//! tesim-sender (work in progress).
