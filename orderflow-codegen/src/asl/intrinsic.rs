//! Intrinsic functions (`States.Format(...)` and friends): grammar, arity, result types.
