//! Alerts API v7 bodies (reference §4).
