//! The state machine, its scopes (the top level, Parallel branches, Map item processors) and
//! the states other than Task and Choice.

use crate::asl::intrinsic;
use crate::asl::model::*;
use crate::asl::timestamp::is_timestamp;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, Member, push_index};
use crate::suggest;

use super::MAX_DEPTH;
use super::fields::*;
use super::{Obj, Parser};

impl Parser<'_> {
    pub(super) fn machine_root(&mut self, json: &Json) {
        let Some(root) = self.object(json, "", "a state machine definition") else {
            self.machine.scopes.push(Scope {
                kind: ScopeKind::TopLevel,
                start_at: None,
                states: Vec::new(),
                broken: Vec::new(),
                pointer: String::new(),
                states_span: crate::json::Span::default(),
            });
            return;
        };
        self.check_fields(
            root,
            &[
                "StartAt",
                "States",
                "Comment",
                "Version",
                "TimeoutSeconds",
                "QueryLanguage",
            ],
            "a state machine",
            None,
        );
        self.machine.comment = self.string(root, "Comment").map(|s| s.value);
        self.machine.version = self.string(root, "Version").map(|s| s.value);
        self.machine.timeout_seconds = self.integer(root, "TimeoutSeconds", 1);
        self.machine.query_language = self
            .query_language(root, None)
            .unwrap_or(QueryLanguage::JsonPath);
        let ql = self.machine.query_language;
        self.scope(root, ScopeKind::TopLevel, ql, 0);
    }

    pub(super) fn query_language(
        &mut self,
        obj: Obj<'_>,
        inherited: Option<QueryLanguage>,
    ) -> Option<QueryLanguage> {
        let s = self.string(obj, "QueryLanguage")?;
        let ql = match s.value.as_str() {
            "JSONPath" => QueryLanguage::JsonPath,
            "JSONata" => QueryLanguage::Jsonata,
            other => {
                self.error(
                    Code::InvalidValue,
                    &s.pointer,
                    s.span,
                    format!(
                        "`QueryLanguage` must be \"JSONPath\" or \"JSONata\", found \"{other}\""
                    ),
                );
                return None;
            }
        };
        if inherited == Some(QueryLanguage::Jsonata) && ql == QueryLanguage::JsonPath {
            let d = Diagnostic::new(
                Code::QueryLanguageMismatch,
                "a state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
            )
            .at(self.loc(&s.pointer, s.span))
            .help("remove the state's QueryLanguage, or set the state machine's to JSONPath and opt states into JSONata one by one");
            self.report(d);
        }
        Some(ql)
    }

    /// Reads `StartAt` + `States` of a scope (top level, branch, iterator). Returns its id.
    pub(super) fn scope(
        &mut self,
        obj: Obj<'_>,
        kind: ScopeKind,
        ql: QueryLanguage,
        depth: usize,
    ) -> ScopeId {
        let id = ScopeId(self.machine.scopes.len());
        let start_at = self
            .require(obj, "StartAt", "a state machine")
            .and(self.string(obj, "StartAt"));
        self.machine.scopes.push(Scope {
            kind,
            start_at: start_at.map(|name| Target { name, target: None }),
            states: Vec::new(),
            broken: Vec::new(),
            pointer: obj.pointer.to_string(),
            states_span: obj.get("States").map(|s| s.span).unwrap_or_default(),
        });
        if let Some(states) = self.require(obj, "States", "a state machine") {
            let pointer = obj.child("States");
            if let Some(states_obj) = self.object(states, &pointer, "`States`") {
                // Two states of one name are E0107, not a repeated key.
                self.mark_checked(states);
                if states_obj.members.is_empty() {
                    self.error(
                        Code::InvalidValue,
                        &pointer,
                        states.span,
                        "`States` must contain at least one state",
                    );
                }
                for m in states_obj.members {
                    match self.state(m, &states_obj.child(&m.key), id, ql, depth) {
                        Some(state) => self.machine.scopes[id.0].states.push(state),
                        None => self.machine.scopes[id.0].broken.push(m.key.clone()),
                    }
                }
            }
        }
        id
    }

    pub(super) fn state(
        &mut self,
        m: &Member,
        pointer: &str,
        scope: ScopeId,
        inherited: QueryLanguage,
        depth: usize,
    ) -> Option<StateId> {
        let obj = self.object(&m.value, pointer, &format!("state \"{}\"", m.key))?;
        let what = format!("state \"{}\"", m.key);
        let ql = self
            .query_language(obj, Some(inherited))
            .unwrap_or(inherited);
        let type_json = self.require(obj, "Type", &what)?;
        let type_name = match type_json.as_str() {
            Some(t) if STATE_TYPES.contains(&t) => t,
            Some(t) => {
                let d = Diagnostic::new(
                    Code::InvalidStateType,
                    format!("\"{t}\" is not a state type"),
                )
                .at(self.loc(&obj.child("Type"), type_json.span))
                .note(format!("state types: {}", STATE_TYPES.join(", ")));
                let d = match suggest::did_you_mean(t, STATE_TYPES.iter().copied()) {
                    Some(h) => d.help(h),
                    None => d,
                };
                self.report(d);
                return None;
            }
            None => {
                self.wrong_type(&obj.child("Type"), type_json, "Type", "a string");
                return None;
            }
        };
        let specific = match type_name {
            "Task" => TASK,
            "Pass" => PASS,
            "Choice" => CHOICE,
            "Wait" => WAIT,
            "Succeed" => SUCCEED,
            "Fail" => FAIL,
            "Parallel" => PARALLEL,
            _ => MAP,
        };
        let allowed: Vec<&str> = COMMON.iter().chain(specific).copied().collect();
        let what = format!("{type_name} state \"{}\"", m.key);
        self.check_fields(obj, &allowed, &what, Some(ql));

        let mut state = State {
            name: Spanned {
                value: m.key.clone(),
                span: m.key_span,
                pointer: pointer.to_string(),
            },
            scope,
            pointer: pointer.to_string(),
            span: m.value.span,
            comment: self.string(obj, "Comment").map(|s| s.value),
            query_language: ql,
            next: self
                .string(obj, "Next")
                .map(|name| Target { name, target: None }),
            end: self.boolean(obj, "End").unwrap_or(false),
            io: InputOutput::default(),
            assign: None,
            assign_template: None,
            kind: StateKind::Succeed,
        };
        self.io(obj, ql, &mut state.io);
        if let Some(assign) = obj.get("Assign") {
            state.assign_template = self.assign(assign, &obj.child("Assign"), ql);
            state.assign = Some(assign.clone());
        }
        // Next/End: exactly one for the states that continue; Choice/Succeed/Fail have neither
        // (their fields are refused by `check_fields`).
        // A mistyped `End` is reported as such; "neither Next nor End" would only echo it.
        let end_mistyped = obj.get("End").is_some_and(|e| e.as_bool().is_none());
        if specific.contains(&"Next") && !end_mistyped {
            match (obj.member("Next"), obj.get("End")) {
                (Some(_), Some(end)) if state.end => {
                    self.error(
                        Code::NextAndEnd,
                        &obj.child("End"),
                        end.span,
                        format!("{what} has both `Next` and `End`"),
                    );
                }
                (None, _) if !state.end => {
                    let d = Diagnostic::new(
                        Code::NextAndEnd,
                        format!("{what} has neither `Next` nor `\"End\": true`"),
                    )
                    .at(self.loc(pointer, m.key_span))
                    .help("add `\"Next\": \"<state>\"` or `\"End\": true`");
                    self.report(d);
                }
                _ => {}
            }
        }
        let id_hint = StateId(self.machine.states.len());
        state.kind = match type_name {
            "Task" => StateKind::Task(self.task(obj, ql)?),
            "Pass" => StateKind::Pass(PassState {
                result: obj.get("Result").cloned(),
            }),
            "Choice" => StateKind::Choice(self.choice(obj, ql, depth)),
            "Wait" => StateKind::Wait(self.wait(obj, ql)),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(self.fail(obj, ql)),
            "Parallel" => {
                // Branch scopes refer to this state's id, which it gets when pushed below;
                // nothing else is pushed in between except nested states, so reserve it now.
                let placeholder = self.machine.push_state(state.clone());
                let kind = StateKind::Parallel(self.parallel(obj, placeholder, ql, depth));
                self.machine.states[placeholder.0].kind = kind;
                return Some(placeholder);
            }
            _ => {
                let placeholder = self.machine.push_state(state.clone());
                let kind = self.map(obj, placeholder, ql, depth).map(StateKind::Map);
                match kind {
                    Some(kind) => self.machine.states[placeholder.0].kind = kind,
                    None => return None,
                }
                return Some(placeholder);
            }
        };
        let id = self.machine.push_state(state);
        debug_assert_eq!(id, id_hint);
        Some(id)
    }

    pub(super) fn nested_scope(
        &mut self,
        json: &Json,
        pointer: &str,
        kind: ScopeKind,
        depth: usize,
        what: &str,
        fields: &[&str],
    ) -> Option<ScopeId> {
        if depth >= MAX_DEPTH {
            self.error(
                Code::InvalidValue,
                pointer,
                json.span,
                format!("Parallel/Map nested deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        let obj = self.object(json, pointer, what)?;
        self.check_fields(obj, fields, what, None);
        // The states inside inherit the state machine's QueryLanguage, not the Map's or the
        // Parallel's own: AWS judges them so (floci-io/floci#2968, "Declaring it on the Map and
        // omitting it entirely produce identical results. The same holds for Parallel
        // branches."). A `QueryLanguage` on a Parallel branch object itself is still read
        // (AWS's answer to it is not recorded); on `ItemProcessor`/`Iterator` it is refused above.
        let machine = self.machine.query_language;
        let ql = if fields.contains(&"QueryLanguage") {
            self.query_language(obj, Some(machine)).unwrap_or(machine)
        } else {
            machine
        };
        Some(self.scope(obj, kind, ql, depth + 1))
    }

    pub(super) fn parallel(
        &mut self,
        obj: Obj<'_>,
        id: StateId,
        ql: QueryLanguage,
        depth: usize,
    ) -> ParallelState {
        let mut branches = Vec::new();
        if let Some(v) = self.require(obj, "Branches", "a Parallel state") {
            let pointer = obj.child("Branches");
            match v.as_array() {
                Some([]) => self.error(
                    Code::InvalidValue,
                    &pointer,
                    v.span,
                    "`Branches` must contain at least one branch",
                ),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = push_index(&pointer, i);
                        if let Some(branch) = self.nested_scope(
                            item,
                            &p,
                            ScopeKind::ParallelBranch {
                                parallel: id,
                                index: i,
                            },
                            depth,
                            "a Parallel branch",
                            &["StartAt", "States", "Comment", "QueryLanguage"],
                        ) {
                            branches.push(branch);
                        }
                    }
                }
                None => self.wrong_type(&pointer, v, "Branches", "an array of branches"),
            }
        }
        ParallelState {
            branches,
            errors: self.error_handling(obj, ql),
        }
    }

    pub(super) fn map(
        &mut self,
        obj: Obj<'_>,
        id: StateId,
        ql: QueryLanguage,
        depth: usize,
    ) -> Option<MapState> {
        let (processor_key, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(i)) => ("Iterator", i),
            (Some(_), Some(_)) => {
                let m = obj.member("Iterator")?;
                self.error(
                    Code::InvalidValue,
                    &obj.child("Iterator"),
                    m.key_span,
                    "a Map state takes `ItemProcessor` or the older `Iterator`, not both",
                );
                return None;
            }
            (None, None) => {
                self.require(obj, "ItemProcessor", "a Map state");
                return None;
            }
        };
        let pointer = obj.child(processor_key);
        let mut mode = MapMode::Inline;
        let mut express_children = false;
        if let Some(p) = processor.as_object().map(|members| Obj {
            json: processor,
            members,
            pointer: &pointer,
        }) {
            if let Some(config) = p.get("ProcessorConfig") {
                let cp = p.child("ProcessorConfig");
                if let Some(c) = self.object(config, &cp, "`ProcessorConfig`") {
                    self.check_fields(c, &["Mode", "ExecutionType"], "`ProcessorConfig`", None);
                    if let Some(m) = self.string(c, "Mode") {
                        match m.value.as_str() {
                            "INLINE" => {}
                            "DISTRIBUTED" => mode = MapMode::Distributed,
                            other => self.error(Code::InvalidValue, &m.pointer, m.span, format!("`Mode` must be \"INLINE\" or \"DISTRIBUTED\", found \"{other}\"")),
                        }
                    }
                    if let Some(t) = self.string(c, "ExecutionType") {
                        express_children = t.value == "EXPRESS";
                        if !["STANDARD", "EXPRESS"].contains(&t.value.as_str()) {
                            self.error(Code::InvalidValue, &t.pointer, t.span, format!("`ExecutionType` must be \"STANDARD\" or \"EXPRESS\", found \"{}\"", t.value));
                        }
                    }
                }
            }
        }
        // AWS accepts `ProcessorConfig` in the legacy `Iterator` too (a recorded execution
        // confirms it) and reads it the same way, so both map into the same `mode`. Neither
        // takes `QueryLanguage`: AWS answers `Field 'QueryLanguage' is not supported` at
        // `/States/M/ItemProcessor` and at `/States/M/Iterator` (floci-io/floci#2968).
        let iterator = self.nested_scope(
            processor,
            &pointer,
            ScopeKind::MapIterator { map: id },
            depth,
            &format!("a Map's `{processor_key}`"),
            &["StartAt", "States", "Comment", "ProcessorConfig"],
        )?;
        if obj.has("ItemSelector") && obj.has("Parameters") {
            if let Some(m) = obj.member("Parameters") {
                self.error(
                    Code::InvalidValue,
                    &obj.child("Parameters"),
                    m.key_span,
                    "a Map state takes `ItemSelector` or the older `Parameters`, not both",
                );
            }
        }
        let item_selector = obj.get("ItemSelector").map(|s| {
            let p = obj.child("ItemSelector");
            if ql == QueryLanguage::Jsonata {
                self.jsonata_value(s, &p, 0);
            }
            self.payload(s, &p)
        });
        let max_concurrency = match obj.get("MaxConcurrency") {
            Some(v) if ql == QueryLanguage::Jsonata && v.as_str().is_some() => {
                self.jsonata_value(v, &obj.child("MaxConcurrency"), 0);
                None
            }
            _ => self.integer(obj, "MaxConcurrency", 0),
        };
        let mut tolerated_failure_percentage = None;
        if let Some(v) = obj.get("ToleratedFailurePercentage") {
            if !(ql == QueryLanguage::Jsonata && v.as_str().is_some()) {
                match v.as_number().and_then(serde_json::Number::as_f64) {
                    Some(x) if (0.0..=100.0).contains(&x) => tolerated_failure_percentage = Some(x),
                    _ => self.error(
                        Code::InvalidValue,
                        &obj.child("ToleratedFailurePercentage"),
                        v.span,
                        "`ToleratedFailurePercentage` must be a number from 0 to 100",
                    ),
                }
            }
        }
        let mut tolerated_failure_count = None;
        if let Some(v) = obj.get("ToleratedFailureCount") {
            if !(ql == QueryLanguage::Jsonata && v.as_str().is_some()) {
                tolerated_failure_count = self.integer(obj, "ToleratedFailureCount", 0);
            }
        }
        let max_concurrency_path = self.path_field(obj, "MaxConcurrencyPath", true);
        let tolerated_failure_count_path = self.path_field(obj, "ToleratedFailureCountPath", true);
        let tolerated_failure_percentage_path =
            self.path_field(obj, "ToleratedFailurePercentagePath", true);
        let (batcher, writer) = self.map_run_config(obj, ql);
        let reader = self.item_reader(obj);
        let items = obj.get("Items").cloned();
        if let Some(i) = &items {
            self.jsonata_value(i, &obj.child("Items"), 0);
        }
        Some(MapState {
            iterator,
            mode,
            items_path: self.path_field(obj, "ItemsPath", true),
            items,
            item_selector,
            max_concurrency,
            item_reader: obj.get("ItemReader").cloned(),
            run: Box::new(MapRunFields {
                max_concurrency_path,
                tolerated_failure_count,
                tolerated_failure_count_path,
                tolerated_failure_percentage,
                tolerated_failure_percentage_path,
                reader,
                batcher,
                writer,
                express_children,
            }),
            result_writer: obj.get("ResultWriter").cloned(),
            item_batcher: obj.get("ItemBatcher").cloned(),
            errors: self.error_handling(obj, ql),
        })
    }

    /// What the executor needs of a JSONPath `ItemReader` (its other fields are not modelled).
    pub(super) fn item_reader(&mut self, map: Obj<'_>) -> Option<ItemReader> {
        let json = map.get("ItemReader")?;
        let pointer = map.child("ItemReader");
        let members = json.as_object()?;
        let obj = Obj {
            json,
            members,
            pointer: &pointer,
        };
        let resource = obj.get("Resource").and_then(Json::as_str)?.to_string();
        let parameters = obj
            .get("Parameters")
            .map(|p| self.payload(p, &obj.child("Parameters")));
        let config_pointer = obj.child("ReaderConfig");
        let config = obj.get("ReaderConfig").and_then(|c| {
            c.as_object().map(|members| Obj {
                json: c,
                members,
                pointer: &config_pointer,
            })
        });
        let text = |c: Obj<'_>, key: &str| c.get(key).and_then(Json::as_str).map(str::to_owned);
        let (max_items, max_items_path, reader_config) = match config {
            Some(c) => (
                c.get("MaxItems")
                    .and_then(Json::as_number)
                    .and_then(serde_json::Number::as_u64),
                self.path_field(c, "MaxItemsPath", true),
                ReaderConfig {
                    input_type: text(c, "InputType"),
                    csv_header_location: text(c, "CSVHeaderLocation"),
                    csv_headers: c
                        .get("CSVHeaders")
                        .and_then(Json::as_array)
                        .map(|h| {
                            h.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    csv_delimiter: text(c, "CSVDelimiter"),
                    manifest_type: text(c, "ManifestType"),
                    items_pointer: text(c, "ItemsPointer"),
                    transformation: text(c, "Transformation"),
                },
            ),
            None => (None, None, ReaderConfig::default()),
        };
        Some(ItemReader {
            resource,
            parameters,
            max_items,
            max_items_path,
            config: reader_config,
        })
    }

    pub(super) fn wait(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> WaitState {
        let present: Vec<&Member> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .iter()
            .filter_map(|k| obj.member(k))
            .collect();
        if present.len() != 1 {
            let message = if present.is_empty() {
                "a Wait state needs one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`"
                    .to_string()
            } else {
                format!(
                    "a Wait state takes exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`; it has {}",
                    present
                        .iter()
                        .map(|m| format!("`{}`", m.key))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let (code, span) = match present.get(1) {
                Some(m) => (Code::InvalidValue, m.key_span),
                None => (Code::MissingField, obj.json.span),
            };
            self.error(code, obj.pointer, span, message);
            return WaitState::Invalid;
        }
        match present[0].key.as_str() {
            "Seconds" | "SecondsPath" => self
                .seconds(obj, "Seconds", "SecondsPath", ql, 0)
                .map_or(WaitState::Invalid, WaitState::Seconds),
            "Timestamp" => match self.string(obj, "Timestamp") {
                Some(s) if ql == QueryLanguage::Jsonata && s.value.starts_with("{%") => {
                    self.jsonata_string(&s.value, s.span, &s.pointer);
                    WaitState::Timestamp(s)
                }
                Some(s) if is_timestamp(&s.value) => WaitState::Timestamp(s),
                Some(s) => {
                    self.error(Code::InvalidValue, &s.pointer, s.span, format!("`Timestamp` must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\", found \"{}\"", s.value));
                    WaitState::Invalid
                }
                None => WaitState::Invalid,
            },
            _ => self
                .path_field(obj, "TimestampPath", true)
                .map_or(WaitState::Invalid, WaitState::TimestampPath),
        }
    }

    pub(super) fn fail(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> FailState {
        FailState {
            error: self.error_source(obj, "Error", "ErrorPath", ql),
            cause: self.error_source(obj, "Cause", "CausePath", ql),
        }
    }

    pub(super) fn error_source(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        path_key: &str,
        ql: QueryLanguage,
    ) -> Option<ErrorSource> {
        if obj.has(key) && obj.has(path_key) {
            if let Some(m) = obj.member(path_key) {
                self.error(
                    Code::InvalidValue,
                    &obj.child(path_key),
                    m.key_span,
                    format!("`{key}` and `{path_key}` cannot both be given"),
                );
            }
        }
        if let Some(s) = self.string(obj, key) {
            if ql == QueryLanguage::Jsonata {
                self.jsonata_string(&s.value, s.span, &s.pointer);
            }
            return Some(ErrorSource::Literal(s));
        }
        let s = self.string(obj, path_key)?;
        if intrinsic::looks_like_intrinsic(&s.value) {
            return match intrinsic::parse_intrinsic(&s.value) {
                Ok(call) => Some(ErrorSource::Intrinsic(Spanned {
                    value: call,
                    span: s.span,
                    pointer: s.pointer,
                })),
                Err(e) => {
                    self.payload_error(&s.pointer, s.span, &s.value, &e, "intrinsic function call");
                    None
                }
            };
        }
        self.path_string(&s.value, s.span, &s.pointer, path_key, true)
            .map(ErrorSource::Path)
    }

    /// A field that in JSONata states may be a `{% %}` string and in JSONPath states is a number
    /// or has a `…Path` sibling.
    pub(super) fn seconds(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        path_key: &str,
        ql: QueryLanguage,
        min: u64,
    ) -> Option<Seconds> {
        if obj.has(key) && obj.has(path_key) {
            let m = obj.member(path_key)?;
            self.error(
                Code::InvalidValue,
                &obj.child(path_key),
                m.key_span,
                format!("`{key}` and `{path_key}` cannot both be given"),
            );
        }
        if let Some(v) = obj.get(key) {
            if let (QueryLanguage::Jsonata, Some(s)) = (ql, v.as_str()) {
                self.jsonata_string(s, v.span, &obj.child(key));
                return Some(Seconds::Jsonata(Spanned {
                    value: s.to_string(),
                    span: v.span,
                    pointer: obj.child(key),
                }));
            }
            return self.integer(obj, key, min).map(Seconds::Value);
        }
        self.path_field(obj, path_key, true).map(Seconds::Path)
    }
}
