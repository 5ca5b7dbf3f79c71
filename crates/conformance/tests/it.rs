//! Self-test of the checker against the reference receivers of `tesim-receiver`, plus the
//! report formats and the generated documentation.

mod it {
    mod docs;
    mod html;
    mod matrix;
    mod reports;
    mod tls;
}
