//! The data-flow check: propagates JSON shapes along every path of the workflow.

pub mod shape;
