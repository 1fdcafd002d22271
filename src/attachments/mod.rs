//! Attachments: files on tickets (training certificates, delivery photos).

pub mod storage;
