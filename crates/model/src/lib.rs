//! tesim-model (work in progress).
