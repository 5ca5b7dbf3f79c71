//! tesim-scenario (work in progress).
