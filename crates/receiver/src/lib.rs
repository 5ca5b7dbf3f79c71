//! tesim-receiver (work in progress).
