//! tesim-conformance (work in progress).
