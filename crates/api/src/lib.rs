//! tesim-api (work in progress).
