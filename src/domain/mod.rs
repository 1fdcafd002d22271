//! Domain types parsed once at the edge: a value of one of these types is
//! valid by construction, and the rest of the code never checks it again.

mod email;
mod password;
mod text;

pub use email::Email;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewPassword};
pub use text::{DisplayName, single_line};
