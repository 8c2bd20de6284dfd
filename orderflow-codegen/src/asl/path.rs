//! JSONPath and reference paths as ASL uses them (not RFC 9535).
