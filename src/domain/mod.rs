//! Domain types parsed once at the edge: a value of one of these types is
//! valid by construction, and the rest of the code never checks it again.

mod email;

pub use email::Email;
