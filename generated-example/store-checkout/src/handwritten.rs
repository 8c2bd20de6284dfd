//! Hand-written payload structs for teams that prefer their own types to the generated ones:
//! `#[derive(StepInput)]`/`#[derive(StepOutput)]` make the compiler refuse them as soon as they
//! stop matching the workflow's schemas.

use orderflow_runtime::{StepInput, StepOutput};
use serde::{Deserialize, Serialize};

/// What calculateTotal reads from the execution state.
#[derive(Debug, Clone, PartialEq, Deserialize, StepInput)]
#[step(
    workflow = "../../definitions/store-checkout",
    function = "calculateTotal"
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TotalRequest {
    /// The book found by checkInventory.
    pub book: PricedBook,
    /// Copies ordered (the schema says at least 1).
    pub quantity: u32,
}

/// The part of the book record calculateTotal needs.
#[derive(Debug, Clone, PartialEq, Deserialize, StepInput)]
#[step(
    workflow = "../../definitions/store-checkout",
    function = "calculateTotal",
    pointer = "/$defs/BookPrice"
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PricedBook {
    pub price: f64,
}

/// calculateTotal's result.
#[derive(Debug, Clone, PartialEq, Serialize, StepOutput)]
#[step(
    workflow = "../../definitions/store-checkout",
    function = "calculateTotal"
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Total {
    pub total: f64,
}

/// What checkInventory reads.
#[derive(Debug, Clone, PartialEq, Deserialize, StepInput)]
#[serde(rename_all = "camelCase")]
#[step(
    workflow = "../../definitions/store-checkout",
    function = "checkInventory"
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct InventoryRequest {
    pub book_id: String,
    pub quantity: u32,
}

/// Computes the total with the hand-written types, as calculateTotal does with generated ones.
pub fn total(request: &TotalRequest) -> Total {
    Total {
        total: request.book.price * f64::from(request.quantity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hand_written_types_read_and_write_what_the_schemas_say() {
        let input = json!({"book": {"bookId": "100", "title": "T", "quantity": 5, "price": 12.5}, "quantity": 2, "userId": "1"});
        assert!(TotalRequest::validate(&input).is_ok());
        let request: TotalRequest = serde_json::from_value(input).expect("deserializes");
        let output = serde_json::to_value(total(&request)).expect("serializes");
        assert_eq!(output, json!({"total": 25.0}));
        assert!(Total::validate(&output).is_ok());
        assert!(
            <PricedBook as StepInput>::validate(&json!({"price": -1})).is_err(),
            "minimum 0"
        );
        assert!(InventoryRequest::validate(&json!({"bookId": "100", "quantity": 0})).is_err());
        assert_eq!(<InventoryRequest as StepInput>::FUNCTION, "checkInventory");
    }

    #[test]
    fn schemars_schemas_agree_with_the_definitions() {
        use orderflow_runtime::testing::{input_schema_mismatches, output_schema_mismatches};
        assert_eq!(
            input_schema_mismatches::<TotalRequest>(),
            Vec::<String>::new()
        );
        assert_eq!(
            input_schema_mismatches::<InventoryRequest>(),
            Vec::<String>::new()
        );
        assert_eq!(output_schema_mismatches::<Total>(), Vec::<String>::new());
    }

    /// A struct the syntax check cannot fault (the type hides behind an alias) but schemars can.
    #[test]
    fn schemars_comparison_catches_what_the_syntax_hides() {
        type Amount = String;
        #[derive(serde::Serialize, schemars::JsonSchema, orderflow_runtime::StepOutput)]
        #[step(
            workflow = "../../definitions/store-checkout",
            function = "calculateTotal"
        )]
        struct AliasedTotal {
            total: Amount,
        }
        let mismatches = orderflow_runtime::testing::output_schema_mismatches::<AliasedTotal>();
        assert_eq!(
            mismatches,
            vec!["/total: the struct has string, the definition number".to_owned()]
        );
    }
}
