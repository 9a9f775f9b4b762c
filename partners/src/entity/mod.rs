pub mod access_token;
pub mod delivery;
pub mod partner;
pub mod subscription;
