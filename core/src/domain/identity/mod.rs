//! Admin identity: the users who sign in to the admin panel, their
//! sessions and second factor, what each role may do, and the audit log.

pub mod audit;
pub mod sessions;
pub mod totp;
pub mod two_factor;
pub mod users;
