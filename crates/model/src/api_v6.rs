//! Alerts API v6 bodies (reference §3).
