//! Domain types parsed once at the edge: a value of one of these types is
//! valid by construction, and the rest of the code never checks it again.

mod country;
mod email;
mod money;
mod order;
mod password;
mod phone;
mod postal_code;
mod text;

pub use country::CountryCode;
pub use email::Email;
pub use money::{BasisPoints, Cents};
pub use order::{ParsedOrder, RawOrder};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewPassword};
pub use phone::PhoneNumber;
pub use postal_code::PostalCode;
pub use text::{DisplayName, multi_line, optional_multi_line, optional_single_line, single_line};
