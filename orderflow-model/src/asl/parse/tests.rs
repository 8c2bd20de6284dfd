use super::task::lambda_function_name;
use super::*;

/// Parses a definition given as JSON text; returns the machine and its diagnostics.
fn parse_text(text: &str) -> (StateMachine, Vec<Diagnostic>) {
    let file = SourceFile::new("workflow.asl.json", text.to_string());
    let json = match crate::json::parse(file.text()) {
        Ok(json) => json,
        Err(e) => panic!("test definition is not JSON: {}", e.message),
    };
    let mut diagnostics = Vec::new();
    let machine = parse_state_machine(&file, &json, &FunctionCatalog::default(), &mut diagnostics);
    (machine, diagnostics)
}

fn map_definition(processor: &str) -> String {
    format!(
        r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "End": true,
            "ItemSelector": {{"v.$": "$$.Map.Item.Value"}}, "MaxConcurrency": 1,
            {processor}}}}}}}"#
    )
}

fn map_mode(machine: &StateMachine) -> Option<MapMode> {
    machine.states.iter().find_map(|s| match &s.kind {
        StateKind::Map(m) => Some(m.mode),
        _ => None,
    })
}

#[test]
fn legacy_iterator_accepts_processor_config() {
    // AWS accepted and ran this (test_map_state_legacy_config_inline_item_selector).
    let inner = r#""StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}"#;
    for (config, mode) in [
        (r#""Mode": "INLINE""#, MapMode::Inline),
        (
            r#""Mode": "DISTRIBUTED", "ExecutionType": "STANDARD""#,
            MapMode::Distributed,
        ),
    ] {
        let legacy = map_definition(&format!(
            r#""Iterator": {{"ProcessorConfig": {{{config}}}, {inner}}}"#
        ));
        let (machine, diagnostics) = parse_text(&legacy);
        assert!(
            !diagnostics.iter().any(Diagnostic::is_error),
            "{diagnostics:?}"
        );
        assert_eq!(map_mode(&machine), Some(mode));
        // The same model as with `ItemProcessor`.
        let current = map_definition(&format!(
            r#""ItemProcessor": {{"ProcessorConfig": {{{config}}}, {inner}}}"#
        ));
        let (machine, diagnostics) = parse_text(&current);
        assert!(
            !diagnostics.iter().any(Diagnostic::is_error),
            "{diagnostics:?}"
        );
        assert_eq!(map_mode(&machine), Some(mode));
    }
    // The config is still checked, and other unknown fields are still rejected.
    let bad_mode = map_definition(&format!(
        r#""Iterator": {{"ProcessorConfig": {{"Mode": "PARALLEL"}}, {inner}}}"#
    ));
    let (_, diagnostics) = parse_text(&bad_mode);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("`Mode` must be")),
        "{diagnostics:?}"
    );
    let unknown = map_definition(&format!(r#""Iterator": {{"Bogus": 1, {inner}}}"#));
    let (_, diagnostics) = parse_text(&unknown);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("does not allow the field `Bogus`")),
        "{diagnostics:?}"
    );
    let both = map_definition(&format!(
        r#""Iterator": {{{inner}}}, "ItemProcessor": {{{inner}}}"#
    ));
    let (_, diagnostics) = parse_text(&both);
    assert!(
        diagnostics.iter().any(Diagnostic::is_error),
        "{diagnostics:?}"
    );
}

#[test]
fn lambda_arns_with_and_without_alias() {
    assert_eq!(
        lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:checkInventory"),
        Some(("checkInventory".into(), None))
    );
    assert_eq!(
        lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
        Some(("f".into(), Some("live".into())))
    );
    assert_eq!(
        lambda_arn("arn:aws-cn:lambda:cn-north-1:1:function:f"),
        Some(("f".into(), None))
    );
    assert_eq!(lambda_arn("arn:aws:states:::lambda:invoke"), None);
    assert_eq!(lambda_arn("arn:aws:lambda:us-east-1:1:layer:x"), None);
}

#[test]
fn placeholders_resolve_by_name_or_manifest() {
    let catalog = FunctionCatalog {
        functions: ["checkInventory", "sqsWorker"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        placeholders: [("CourierWorker".to_string(), "sqsWorker".to_string())].into(),
        ..FunctionCatalog::default()
    };
    assert_eq!(
        catalog
            .resolve_placeholder("CheckInventoryFunctionArn")
            .as_deref(),
        Some("checkInventory")
    );
    assert_eq!(
        catalog.resolve_placeholder("checkInventory").as_deref(),
        Some("checkInventory")
    );
    assert_eq!(
        catalog.resolve_placeholder("CourierWorker").as_deref(),
        Some("sqsWorker")
    );
    assert_eq!(catalog.resolve_placeholder("OrdersQueueUrl"), None);
}

/// Issue 17: `${checkPriceFnArn}` was taken as an opaque integration, so nothing was
/// checked; every spelling people use for a function's placeholder names the function.
#[test]
fn placeholder_spellings_name_the_function() {
    let catalog = FunctionCatalog {
        functions: ["checkPrice", "firstLambda", "first"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..FunctionCatalog::default()
    };
    for placeholder in [
        "checkPriceFnArn",
        "CheckPriceFnArn",
        "CheckPriceFunctionArn",
        "CheckPriceLambdaArn",
        "CheckPriceArn",
        "CheckPriceFunction",
        "CheckPriceFn",
        "CheckPriceFunctionName",
        "checkPrice",
    ] {
        assert_eq!(
            catalog.resolve_placeholder(placeholder).as_deref(),
            Some("checkPrice"),
            "{placeholder}"
        );
    }
    // The most specific suffix wins; a shorter one is tried when that names no function.
    assert_eq!(
        catalog.resolve_placeholder("FirstLambdaArn").as_deref(),
        Some("first")
    );
    let without_first = FunctionCatalog {
        functions: ["firstLambda".to_string()].into(),
        ..FunctionCatalog::default()
    };
    assert_eq!(
        without_first
            .resolve_placeholder("FirstLambdaArn")
            .as_deref(),
        Some("firstLambda")
    );
    assert_eq!(
        FunctionCatalog::placeholder_stem("CheckPriceFnArn"),
        "checkPrice"
    );
    // Spelt as teams spell them (found on real workflows): the same function whatever the case.
    for (placeholder, stem) in [
        ("ProcessLambdaArn", "process"),
        ("ProcessLambdaARN", "process"),
        ("notify_function_arn", "notify"),
        ("ValidateLambda", "validate"),
        ("CheckInventoryFunction.Arn", "checkInventory"),
    ] {
        assert_eq!(FunctionCatalog::placeholder_stem(placeholder), stem);
    }
    assert_eq!(catalog.resolve_placeholder("Arn"), None);
}

/// A `${…}` inside an ARN is one piece of text, `:`s and all (serverless.yml's
/// `${opt:stage}`).
#[test]
fn placeholders_inside_an_arn_hold_their_colons() {
    assert_eq!(
        super::task::lambda_arn(
            "arn:aws:lambda:us-east-1:123456789012:function:${self:service}-${opt:stage}-notify"
        ),
        Some(("${self:service}-${opt:stage}-notify".to_string(), None))
    );
    assert_eq!(
        super::task::lambda_arn("arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f:live"),
        Some(("f".to_string(), Some("live".to_string())))
    );
}

/// Every form Lambda's Invoke accepts in `FunctionName`; a partial ARN was read as a
/// function named after the account.
#[test]
fn function_names_as_lambda_reads_them() {
    let name = |n: &str, q: Option<&str>| Some((n.to_string(), q.map(str::to_string)));
    assert_eq!(lambda_function_name("checkPrice"), name("checkPrice", None));
    assert_eq!(
        lambda_function_name("check-price_2:live"),
        name("check-price_2", Some("live"))
    );
    assert_eq!(
        lambda_function_name("checkPrice:$LATEST"),
        name("checkPrice", Some("$LATEST"))
    );
    assert_eq!(
        lambda_function_name("123456789012:function:checkPrice"),
        name("checkPrice", None)
    );
    assert_eq!(
        lambda_function_name("123456789012:function:checkPrice:7"),
        name("checkPrice", Some("7"))
    );
    assert_eq!(
        lambda_function_name("arn:aws:lambda:eu-west-1:123456789012:function:checkPrice:live"),
        name("checkPrice", Some("live"))
    );
    for bad in [
        "",
        "a:b:c",
        "12345:function:x",
        "check price",
        "arn:aws:states:::lambda:invoke",
        "x:",
    ] {
        assert_eq!(lambda_function_name(bad), None, "{bad}");
    }
}

fn parse_with(text: &str, catalog: &FunctionCatalog) -> (StateMachine, Vec<Diagnostic>) {
    let file = SourceFile::new("workflow.asl.json", text.to_string());
    let json = match crate::json::parse(file.text()) {
        Ok(json) => json,
        Err(e) => panic!("test definition is not JSON: {}", e.message),
    };
    let mut diagnostics = Vec::new();
    let machine = parse_state_machine(&file, &json, catalog, &mut diagnostics);
    (machine, diagnostics)
}

fn task_resource(machine: &StateMachine) -> Option<&Resource> {
    machine.states.iter().find_map(|s| match &s.kind {
        StateKind::Task(t) => Some(&t.resource.value),
        _ => None,
    })
}

/// A Task `Resource` `${…}` that stands for no function, queue or topic is reported (it was
/// reported only when the name contained "Function"); a queue's placeholder is not.
#[test]
fn unresolved_resource_placeholders_are_reported() {
    let catalog = FunctionCatalog {
        functions: ["checkPrice".to_string()].into(),
        resource_placeholders: ["OrdersQueueArn".to_string()].into(),
        ..FunctionCatalog::default()
    };
    let task = |resource: &str| {
        format!(
            r#"{{"StartAt": "CheckPrice", "States": {{"CheckPrice": {{"Type": "Task", "Resource": "{resource}", "End": true}}}}}}"#
        )
    };
    let (machine, diagnostics) = parse_with(&task("${checkPriceFnArn}"), &catalog);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(
        matches!(task_resource(&machine), Some(Resource::Lambda { function, .. }) if function == "checkPrice")
    );
    let (_, diagnostics) = parse_with(&task("${CheckPriceHandler}"), &catalog);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::UnknownFunction);
    assert!(diagnostics[0].message.contains("${CheckPriceHandler}"));
    let (_, diagnostics) = parse_with(&task("${OrdersQueueArn}"), &catalog);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

/// A `${…}` in a Task's Parameters that no queue, topic or function declares is reported;
/// declared ones are not.
#[test]
fn unresolved_argument_placeholders_are_reported() {
    let catalog = FunctionCatalog {
        functions: ["checkPrice".to_string()].into(),
        resource_placeholders: ["OrdersQueueUrl".to_string()].into(),
        ..FunctionCatalog::default()
    };
    let send = |queue: &str| {
        format!(
            r#"{{"StartAt": "Send", "States": {{"Send": {{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {{"QueueUrl": "{queue}", "MessageBody": {{"fn": "${{CheckPriceFnArn}}"}}}}, "End": true}}}}}}"#
        )
    };
    let (_, diagnostics) = parse_with(&send("${OrdersQueueUrl}"), &catalog);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (_, diagnostics) = parse_with(&send("${OrderQueueUrl}"), &catalog);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::UnknownFunction);
    assert_eq!(
        diagnostics[0].location.as_ref().map(|l| l.pointer.as_str()),
        Some("/States/Send/Parameters/QueueUrl")
    );
}

/// `lambda:invoke` with a partial ARN invokes the named function; an unresolved placeholder
/// is reported with the function stem in its help, never `schemas/${…}.input.json`.
#[test]
fn invoke_function_names() {
    let catalog = FunctionCatalog {
        functions: ["checkPrice".to_string()].into(),
        ..FunctionCatalog::default()
    };
    let invoke = |name: &str| {
        format!(
            r#"{{"StartAt": "CheckPrice", "States": {{"CheckPrice": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {{"FunctionName": "{name}", "Payload.$": "$"}}, "End": true}}}}}}"#
        )
    };
    for name in [
        "123456789012:function:checkPrice",
        "123456789012:function:checkPrice:live",
        "checkPrice:live",
        "${CheckPriceLambdaArn}",
    ] {
        let (machine, diagnostics) = parse_with(&invoke(name), &catalog);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        assert!(
            matches!(task_resource(&machine), Some(Resource::Lambda { function, .. }) if function == "checkPrice"),
            "{name}"
        );
    }
    let (_, diagnostics) = parse_with(&invoke("${FirstLambdaArn}"), &catalog);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d.code, Code::UnknownFunction);
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.contains("schemas/first.input.json"), "{help}");
    assert!(!help.contains("schemas/${"), "{help}");
    assert_eq!(
        d.location.as_ref().map(|l| l.pointer.as_str()),
        Some("/States/CheckPrice/Parameters/FunctionName")
    );
}

#[test]
fn inner_span_points_into_the_string() {
    let span = Span::new(10, 17); // "$.a b" with quotes
    assert_eq!(inner_span(span, "$.a b", 3), Span::new(14, 15));
    // Escaped strings fall back to the whole span.
    assert_eq!(inner_span(Span::new(0, 8), "a\"b", 1), Span::new(0, 8));
}

/// The codes and pointers of the diagnostics of a definition read without its folder.
fn found(text: &str) -> Vec<(Code, String)> {
    let (_, diagnostics) = parse_with(text, &FunctionCatalog::unknown());
    diagnostics
        .iter()
        .map(|d| {
            let pointer = d.location.as_ref().map(|l| l.pointer.clone());
            (d.code, pointer.unwrap_or_default())
        })
        .collect()
}

/// A one-state machine whose only state is `state` (a JSON object's members), named "S".
fn one_state(state: &str) -> String {
    format!(r#"{{"StartAt": "S", "States": {{"S": {{{state}}}}}}}"#)
}

/// Resources Step Functions rejects are E0115: no ARN, an unclosed placeholder, a Lambda ARN
/// with an empty or malformed qualifier or name. ARNs, whole placeholders and ARNs with
/// placeholders inside are not reported, nor are well-formed aliases and versions.
#[test]
fn malformed_resources_are_reported() {
    let task = |resource: &str| {
        one_state(&format!(
            r#""Type": "Task", "Resource": "{resource}", "End": true"#
        ))
    };
    for bad in [
        "${lambdaArn",
        "checkPrice",
        "arn:aws:lambda",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:$*#$7485",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:1:2",
        "arn:aws:lambda:us-east-1:123456789012:function:",
        "arn:aws:lambda:us-east-1:123456789012:function:check.price",
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:checkPrice:",
    ] {
        assert_eq!(
            found(&task(bad)),
            vec![(Code::InvalidValue, "/States/S/Resource".to_string())],
            "{bad}"
        );
    }
    for good in [
        "${CheckPriceFunctionArn}",
        "${CheckPriceFunctionArn}:live",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:live-2_b",
        "arn:aws:lambda:us-east-1:123456789012:function:checkPrice:7",
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:checkPrice",
        "arn:aws-cn:states:::sqs:sendMessage",
        "arn:aws:states:us-east-1:123456789012:activity:hello",
        "arn:aws:states:::lambda:invoke",
    ] {
        assert_eq!(found(&task(good)), vec![], "{good}");
    }
}

/// `Credentials` must be an object naming the role: `RoleArn` or (JSONPath) `RoleArn.$`, one
/// of them, nothing else.
#[test]
fn malformed_credentials_are_reported() {
    let task = |credentials: &str| {
        one_state(&format!(
            r#""Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Credentials": {credentials}, "End": true"#
        ))
    };
    let at = |p: &str| format!("/States/S/Credentials{p}");
    for (credentials, expected) in [
        ("null", vec![(Code::WrongJsonType, at(""))]),
        ("false", vec![(Code::WrongJsonType, at(""))]),
        (
            "\"arn:aws:iam::123456789012:role/R\"",
            vec![(Code::WrongJsonType, at(""))],
        ),
        ("{}", vec![(Code::MissingField, at(""))]),
        (
            r#"{"Role": "arn:aws:iam::123456789012:role/R"}"#,
            vec![
                (Code::UnknownField, at("/Role")),
                (Code::MissingField, at("")),
            ],
        ),
        (
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleArn.$": "$.role"}"#,
            vec![(Code::InvalidValue, at("/RoleArn.$"))],
        ),
        (
            r#"{"RoleArn": 5}"#,
            vec![(Code::WrongJsonType, at("/RoleArn"))],
        ),
        (
            r#"{"RoleArn.$": "role"}"#,
            vec![(Code::InvalidPayloadTemplate, at("/RoleArn.$"))],
        ),
    ] {
        let mut got = found(&task(credentials));
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "{credentials}");
    }
    for good in [
        r#"{"RoleArn": "arn:aws:iam::123456789012:role/R"}"#,
        r#"{"RoleArn.$": "$.role"}"#,
        r#"{"RoleArn.$": "States.Format('arn:aws:iam::{}:role/R', $.account)"}"#,
    ] {
        assert_eq!(found(&task(good)), vec![], "{good}");
    }
    // JSONata: `RoleArn` may be an expression; `RoleArn.$` is JSONPath only.
    let jsonata = |credentials: &str| {
        one_state(&format!(
            r#""Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::sqs:sendMessage", "Credentials": {credentials}, "End": true"#
        ))
    };
    assert_eq!(
        found(&jsonata(r#"{"RoleArn": "{% $states.input.role %}"}"#)),
        vec![]
    );
    assert_eq!(
        found(&jsonata(r#"{"RoleArn": "{% $states.input.role %"}"#)),
        vec![(Code::MalformedJsonata, at("/RoleArn"))]
    );
    assert_eq!(
        found(&jsonata(r#"{"RoleArn.$": "$.role"}"#)),
        vec![
            (Code::UnknownField, at("/RoleArn.$")),
            (Code::MissingField, at(""))
        ]
    );
}

/// `ResultPath` writes into the state input: a variable or the context object is E0110, in a
/// state and in a catcher.
#[test]
fn result_path_must_be_rooted_at_the_input() {
    for bad in ["$foo", "$$.Execution", "$foo.bar"] {
        let pass = one_state(&format!(
            r#""Type": "Pass", "ResultPath": "{bad}", "End": true"#
        ));
        assert_eq!(
            found(&pass),
            vec![(
                Code::InvalidReferencePath,
                "/States/S/ResultPath".to_string()
            )],
            "{bad}"
        );
    }
    let catcher = one_state(
        r#""Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$error", "Next": "S"}]"#,
    );
    assert_eq!(
        found(&catcher),
        vec![(
            Code::InvalidReferencePath,
            "/States/S/Catch/0/ResultPath".to_string()
        )]
    );
    for good in ["$", "$.a.b", "$['a b'][0]"] {
        let pass = one_state(&format!(
            r#""Type": "Pass", "ResultPath": "{good}", "End": true"#
        ));
        assert_eq!(found(&pass), vec![], "{good}");
    }
    assert_eq!(
        found(&one_state(
            r#""Type": "Pass", "ResultPath": null, "End": true"#
        )),
        vec![]
    );
}

/// A key repeated inside a free-form value (a payload template, `Result`, `Arguments`) is
/// E0101 at any depth, reported once; a repeated state field is reported once by the state's
/// field check, a repeated state name is E0107 (from the validator) and not also E0101.
#[test]
fn repeated_keys_are_reported_at_any_depth() {
    let pass = one_state(
        r#""Type": "Pass", "End": true, "Result": {"a": 1, "b": {"c": [{"d": 1, "d": 2}]}, "a": 3}"#,
    );
    let mut got = found(&pass);
    got.sort();
    assert_eq!(
        got,
        vec![
            (Code::UnknownField, "/States/S/Result/a".to_string()),
            (Code::UnknownField, "/States/S/Result/b/c/0/d".to_string()),
        ]
    );
    let params = one_state(
        r#""Type": "Pass", "End": true, "Parameters": {"x": {"y.$": "$.a", "y.$": "$.b"}}"#,
    );
    assert_eq!(
        found(&params),
        vec![(Code::UnknownField, "/States/S/Parameters/x/y.$".to_string())]
    );
    let field = one_state(r#""Type": "Pass", "End": true, "End": true"#);
    assert_eq!(
        found(&field),
        vec![(Code::UnknownField, "/States/S/End".to_string())]
    );
    let (_, diagnostics) = parse_with(
        r#"{"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true}, "S": {"Type": "Succeed"}}}"#,
        &FunctionCatalog::unknown(),
    );
    assert!(
        diagnostics.iter().all(|d| d.code != Code::UnknownField),
        "{diagnostics:?}"
    );
    // A repeated field of a state is reported once, with the state's name.
    let (_, diagnostics) = parse_with(&field, &FunctionCatalog::unknown());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].message.contains("Pass state"),
        "{diagnostics:?}"
    );
}

/// `name` and `name.$` in one payload template object are E0101, at any depth; `name.$` alone
/// or with another name is not.
#[test]
fn payload_field_collisions_are_reported() {
    let pass = one_state(
        r#""Type": "Pass", "End": true, "Parameters": {"a": 1, "m": {"channel": "x", "channel.$": "$.c", "other.$": "$.o"}}"#,
    );
    let (_, diagnostics) = parse_with(&pass, &FunctionCatalog::unknown());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d.code, Code::UnknownField);
    assert!(
        d.message.contains("both become the field `channel`"),
        "{}",
        d.message
    );
    assert_eq!(
        d.location.as_ref().map(|l| l.pointer.as_str()),
        Some("/States/S/Parameters/m/channel.$")
    );
}

/// Codes and JSON pointers of the errors.
fn errors(text: &str) -> Vec<(&'static str, String)> {
    let (_, diagnostics) = parse_text(text);
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let pointer = d.location.as_ref().map(|l| l.pointer.clone());
            (d.code.as_str(), pointer.unwrap_or_default())
        })
        .collect()
}

/// A JSONPath machine whose Map or Parallel declares JSONata: the states inside are JSONPath
/// (floci-io/floci#2968, recorded from AWS), so `Output` there is refused and `Parameters`
/// is accepted.
#[test]
fn inner_states_take_the_machines_query_language_not_the_map_or_parallels() {
    let map = |inner: &str| {
        format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "QueryLanguage": "JSONata",
                "Items": "{{% $states.input.items %}}", "End": true,
                "ItemProcessor": {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", {inner}, "End": true}}}}}}}}}}}}"#
        )
    };
    let parallel = |inner: &str| {
        format!(
            r#"{{"StartAt": "Q", "States": {{"Q": {{"Type": "Parallel", "QueryLanguage": "JSONata", "End": true,
                "Branches": [{{"StartAt": "P", "States": {{"P": {{"Type": "Pass", {inner}, "End": true}}}}}}]}}}}}}"#
        )
    };
    let output = r#""Output": {"a": "{% $states.input %}"}"#;
    let parameters = r#""Parameters": {"a.$": "$"}"#;
    assert_eq!(
        errors(&map(output)),
        [("E0112", "/States/M/ItemProcessor/States/P/Output".into())]
    );
    assert_eq!(
        errors(&parallel(output)),
        [("E0112", "/States/Q/Branches/0/States/P/Output".into())]
    );
    assert_eq!(errors(&map(parameters)), []);
    assert_eq!(errors(&parallel(parameters)), []);
    // The Map's own fields still use its own language: `Items` above is JSONata.
    let (machine, _) = parse_text(&map(parameters));
    let languages: Vec<_> = machine
        .states
        .iter()
        .map(|s| (s.name.value.as_str(), s.query_language))
        .collect();
    assert_eq!(
        languages,
        [
            ("M", QueryLanguage::Jsonata),
            ("P", QueryLanguage::JsonPath)
        ]
    );
    // An inner state may still opt into JSONata itself, and a JSONata machine's inner states
    // are JSONata.
    let opted = map(r#""QueryLanguage": "JSONata", "Output": {"a": "{% $states.input %}"}"#);
    assert_eq!(errors(&opted), []);
    let jsonata_machine = format!(r#"{{"QueryLanguage": "JSONata", {}"#, &map(output)[1..]);
    assert_eq!(errors(&jsonata_machine), []);
}

/// AWS: `Field 'QueryLanguage' is not supported` at `/States/M/ItemProcessor` (#2968), as at
/// `/States/M/Iterator`; and the refused field does not set the inner states' language.
#[test]
fn query_language_on_item_processor_is_refused() {
    for key in ["ItemProcessor", "Iterator"] {
        let text = format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "End": true,
                "{key}": {{"QueryLanguage": "JSONata", "StartAt": "P",
                    "States": {{"P": {{"Type": "Pass", "End": true}}}}}}}}}}}}"#
        );
        assert_eq!(
            errors(&text),
            [("E0101", format!("/States/M/{key}/QueryLanguage"))],
            "{key}"
        );
        let (machine, _) = parse_text(&text);
        assert!(
            machine
                .states
                .iter()
                .all(|s| s.query_language == QueryLanguage::JsonPath),
            "{key}"
        );
    }
}

#[cfg(feature = "jsonata")]
#[test]
fn top_level_references_and_dollar_dollar_are_refused_at_the_field() {
    let text = r#"{"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass",
        "Output": {"v": "{% phone & name & phone %}", "w": "{% $$.x %}",
                   "ok": "{% $states.input.items[phone > 3].name & $phone %}"},
        "End": true}}}"#;
    let (_, diagnostics) = parse_text(text);
    let found: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d
                .location
                .as_ref()
                .map(|l| (l.pointer.clone(), l.line_col()));
            (d.code.as_str(), d.message.clone(), l, d.help.clone())
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].0, "E0113");
    assert!(
        found[0]
            .1
            .starts_with("reference to `phone` at the top level is not supported"),
        "{found:#?}"
    );
    // At the string, the field's own line:column.
    assert_eq!(found[0].2, Some(("/States/E/Output/v".into(), (2, 25))));
    assert_eq!(
        found[0].3.as_deref(),
        Some("read it from the state input, `$states.input.phone`, or from a variable, `$phone`")
    );
    assert!(found[1].1.starts_with("reference to `name`"), "{found:#?}");
    assert_eq!(found[2].0, "E0113");
    assert_eq!(
        found[2].1,
        "reference to `$$` is not supported in a JSONata expression"
    );
    assert_eq!(found[2].2, Some(("/States/E/Output/w".into(), (2, 60))));
    assert!(
        found[2]
            .3
            .as_deref()
            .is_some_and(|h| h.contains("`$states.context`")),
        "{found:#?}"
    );
}

/// JSONPath fields are not JSONata: `$$` and bare names there are other rules' business.
#[test]
fn jsonpath_states_are_not_read_as_jsonata() {
    let text = r#"{"StartAt": "E", "States": {"E": {"Type": "Pass",
        "Parameters": {"id.$": "$$.Execution.Id", "note": "{% phone %}"}, "End": true}}}"#;
    assert_eq!(errors(text), []);
}
