//! The documented expressions as a table, the syntax and its errors, and properties: canonical text
//! parses back to the same tree; no input makes the parser or the evaluator panic.

use super::ast::*;
use super::values::compile_pattern;
use super::*;
use proptest::prelude::*;

/// A container instance as the tests describe it.
struct Fixture {
    name: &'static str,
    instance_type: &'static str,
    zone: &'static str,
    /// `Some("")` stands for an attribute without a value.
    stack: Option<&'static str>,
    os_family: &'static str,
    agent_version: Option<&'static str>,
    ec2_instance_id: &'static str,
    registered_at: &'static str,
    running: u64,
    groups: &'static [&'static str],
    connected: bool,
}

impl InstanceFacts for Fixture {
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn agent_version_key(&self) -> Option<std::borrow::Cow<'_, [u64]>> {
        self.agent_version.and_then(super::values::version_key).map(std::borrow::Cow::Owned)
    }
    fn ec2_instance_id(&self) -> std::borrow::Cow<'_, str> {
        self.ec2_instance_id.into()
    }
    fn registered_at_unix_ms(&self) -> i64 {
        super::values::parse_date(self.registered_at).expect("fixture date").0
    }
    fn running_tasks_count(&self) -> u64 {
        self.running
    }
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        match name {
            "ecs.instance-type" => Some(Some(self.instance_type)),
            "ecs.availability-zone" => Some(Some(self.zone)),
            "ecs.os-family" => Some(Some(self.os_family)),
            "stack" => self.stack.map(|v| (!v.is_empty()).then_some(v)),
            _ => None,
        }
    }
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool {
        self.groups.iter().any(|g| test(g))
    }
    fn hosts_tasks(&self) -> bool {
        !self.groups.is_empty()
    }
    fn capacity_provider(&self) -> Option<&str> {
        None
    }
}

const FIXTURES: [Fixture; 5] = [
    Fixture {
        name: "a",
        instance_type: "t2.small",
        zone: "us-east-1a",
        stack: Some("prod"),
        os_family: "LINUX",
        agent_version: Some("1.14.4"),
        ec2_instance_id: "i-abcd1234",
        registered_at: "2018-02-12T10:00:00Z",
        running: 1,
        groups: &["service:production"],
        connected: true,
    },
    Fixture {
        name: "b",
        instance_type: "t2.medium",
        zone: "us-east-1b",
        stack: Some("dev"),
        os_family: "LINUX",
        agent_version: Some("1.14.5"),
        ec2_instance_id: "i-wxyx7890",
        registered_at: "2018-02-13T00:00:00Z",
        running: 0,
        groups: &[],
        connected: true,
    },
    Fixture {
        name: "c",
        instance_type: "g2.2xlarge",
        zone: "us-east-1d",
        stack: None,
        os_family: "WINDOWS_SERVER_2022_FULL",
        agent_version: Some("1.9.0"),
        ec2_instance_id: "i-0c",
        registered_at: "2018-03-01T00:00:00Z",
        running: 2,
        groups: &["database", "databases"],
        connected: false,
    },
    Fixture {
        name: "d",
        instance_type: "g2.8xlarge",
        zone: "us-east-1c",
        stack: Some("prod"),
        os_family: "LINUX",
        agent_version: None,
        ec2_instance_id: "i-0d",
        registered_at: "2017-12-31T23:59:59Z",
        running: 1,
        groups: &["service:production", "database"],
        connected: true,
    },
    Fixture {
        name: "e",
        instance_type: "t2.small",
        zone: "us-east-1d",
        stack: Some(""),
        os_family: "LINUX",
        agent_version: Some("1.20.0"),
        ec2_instance_id: "i-0e",
        registered_at: "2019-01-01T00:00:00Z",
        running: 3,
        groups: &["family:web"],
        connected: true,
    },
];

fn matching(text: &str) -> String {
    let q = Query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    FIXTURES.iter().filter(|f| q.matches(*f)).map(|f| f.name).collect::<Vec<_>>().join(",")
}

/// The seventeen expressions of the cluster query language page and the task placement
/// constraints page: each parses, prints canonically, and selects the instances the documentation
/// describes.
#[test]
fn the_documented_expressions() {
    let table: [(&str, &str, &str); 17] = [
        ("attribute:ecs.instance-type == t2.small", "attribute:ecs.instance-type == 't2.small'", "a,e"),
        (
            "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
            "attribute:ecs.availability-zone in ['us-east-1a', 'us-east-1b']",
            "a,b",
        ),
        (
            "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
            "attribute:ecs.instance-type =~ 'g2.*' and attribute:ecs.availability-zone != 'us-east-1d'",
            "d",
        ),
        ("task:group == service:production", "task:group == 'service:production'", "a,d"),
        ("not(task:group == database)", "not (task:group == 'database')", "a,b,e"),
        ("runningTasksCount == 1", "runningTasksCount == '1'", "a,d"),
        ("agentVersion < 1.14.5", "agentVersion < '1.14.5'", "a,c"),
        ("registeredAt < 2018-02-13", "registeredAt < '2018-02-13'", "a,d"),
        ("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", "a,b"),
        ("attribute:ecs.instance-type == g2.2xlarge", "attribute:ecs.instance-type == 'g2.2xlarge'", "c"),
        ("attribute:stack == prod", "attribute:stack == 'prod'", "a,d"),
        ("attribute:stack != prod", "attribute:stack != 'prod'", "b,e"),
        (
            "attribute:ecs.instance-type in [t2.small, t2.medium]",
            "attribute:ecs.instance-type in ['t2.small', 't2.medium']",
            "a,b,e",
        ),
        (
            "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a",
            "attribute:ecs.instance-type =~ 't2.*' and attribute:ecs.availability-zone == 'us-east-1a'",
            "a",
        ),
        ("attribute:ecs.instance-type =~ t2.*", "attribute:ecs.instance-type =~ 't2.*'", "a,b,e"),
        ("task:group == databases", "task:group == 'databases'", "c"),
        (
            "memberOf(attribute:ecs.os-family == WINDOWS_SERVER_2022_FULL)",
            "attribute:ecs.os-family == 'WINDOWS_SERVER_2022_FULL'",
            "c",
        ),
    ];
    for (text, canonical, selected) in table {
        let q = Query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(q.to_string(), canonical, "{text}");
        assert_eq!(Query::parse(canonical).as_ref(), Ok(&q), "{text}");
        assert_eq!(matching(text), selected, "{text}");
    }
}

#[test]
fn word_forms_read_as_their_symbols() {
    let pairs = [
        ("attribute:a equals x", "attribute:a == x"),
        ("attribute:a not_equals x", "attribute:a != x"),
        ("runningTasksCount greater_than 1", "runningTasksCount > 1"),
        ("runningTasksCount greater_than_equal 1", "runningTasksCount >= 1"),
        ("runningTasksCount less_than 1", "runningTasksCount < 1"),
        ("runningTasksCount less_than_equal 1", "runningTasksCount <= 1"),
        ("attribute:a exists", "attribute:a exists"),
        ("attribute:a not_exists", "attribute:a !exists"),
        ("attribute:a in [x]", "attribute:a in [x]"),
        ("attribute:a not_in [x, y]", "attribute:a !in [x,y]"),
        ("attribute:a matches x.*", "attribute:a =~ x.*"),
        ("attribute:a not_matches x.*", "attribute:a !~ x.*"),
        ("attribute:a exists && attribute:b exists", "attribute:a exists and attribute:b exists"),
        ("attribute:a exists || attribute:b exists", "attribute:a exists or attribute:b exists"),
        ("!attribute:a exists", "not attribute:a exists"),
        ("attribute:a EXISTS AND NOT attribute:b Equals 'x'", "attribute:a exists and not attribute:b == \"x\""),
        ("attribute:a==x&&attribute:b!=y", "attribute:a == x and attribute:b != y"),
        ("(attribute:a==x)or(attribute:b!=y)", "attribute:a == x or attribute:b != y"),
        ("  memberOf ( attribute:a == x )  ", "attribute:a == x"),
    ];
    for (words, symbols) in pairs {
        let a = Query::parse(words).unwrap_or_else(|e| panic!("{words}: {e}"));
        let b = Query::parse(symbols).unwrap_or_else(|e| panic!("{symbols}: {e}"));
        assert_eq!(a, b, "{words} vs {symbols}");
    }
}

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let q = Query::parse("attribute:a exists or attribute:b exists and not attribute:c exists").expect("valid");
    assert_eq!(q.to_string(), "attribute:a exists or attribute:b exists and not (attribute:c exists)");
    let Expr::Or(list) = &q.expr else { panic!("an or at the top: {q:?}") };
    assert!(matches!(&list[1], Expr::And(and) if matches!(and[1], Expr::Not(_))));
    let grouped = Query::parse("(attribute:a exists or attribute:b exists) and attribute:c exists").expect("valid");
    assert_eq!(grouped.to_string(), "(attribute:a exists or attribute:b exists) and attribute:c exists");
    // `not` applies to the condition right after it, not to the rest of the `and`.
    assert_eq!(matching("not attribute:stack exists and runningTasksCount == 2"), "c");
    assert_eq!(matching("not (attribute:stack exists and runningTasksCount == 1)"), "b,c,e");
    assert_eq!(matching("runningTasksCount == 0 || runningTasksCount >= 3 && agentVersion >= 1.20"), "b,e");
}

#[test]
fn values_and_their_subjects() {
    // Quotes keep spaces, parentheses and keywords inside a value.
    assert_eq!(Query::parse("attribute:x == 'a (b) and c'").expect("valid").to_string(), "attribute:x == 'a (b) and c'");
    assert_eq!(Query::parse("attribute:x == \"it's\"").expect("valid").to_string(), "attribute:x == \"it's\"");
    // Versions compare part by part, missing parts are zero.
    assert_eq!(matching("agentVersion >= 1.14.5"), "b,e");
    assert_eq!(matching("agentVersion == 1.20"), "e");
    assert_eq!(matching("agentVersion != 1.20"), "a,b,c");
    // registeredAt at the precision written: a day, or a second, with or without an offset.
    assert_eq!(matching("registeredAt == 2018-02-13"), "b");
    assert_eq!(matching("registeredAt > 2018-02-13"), "c,e");
    assert_eq!(matching("registeredAt >= 2018-02-13T00:00:00Z"), "b,c,e");
    assert_eq!(matching("registeredAt < 2018-02-13T01:00:00+01:00"), "a,d");
    assert_eq!(matching("registeredAt <= 2018-02-12T10:00:00"), "a,d");
    assert_eq!(matching("runningTasksCount > 1"), "c,e");
    assert_eq!(matching("agentConnected == false"), "c");
    assert_eq!(matching("agentConnected =~ t.*"), "a,b,d,e");
    assert_eq!(matching("ec2InstanceId !in [i-abcd1234, i-0c]"), "b,d,e");
    assert_eq!(matching("ec2InstanceId =~ 'i-0[cd]'"), "c,d");
    // A test needs its attribute; only !exists (or not) holds without it.
    assert_eq!(matching("attribute:stack !exists"), "c");
    assert_eq!(matching("attribute:stack !~ pr.*"), "b,e");
    assert_eq!(matching("attribute:stack !in [dev]"), "a,d,e");
    assert_eq!(matching("attribute:stack == ''"), "e");
    assert_eq!(matching("attribute:missing != x"), "");
    assert_eq!(matching("not(attribute:missing == x)"), "a,b,c,d,e");
    // task:group: one value per task; a negated test needs tasks.
    assert_eq!(matching("task:group exists"), "a,c,d,e");
    assert_eq!(matching("task:group !exists"), "b");
    assert_eq!(matching("task:group != database"), "a,e");
    assert_eq!(matching("task:group in [family:web, databases]"), "c,e");
    assert_eq!(matching("task:group =~ 'service:.*'"), "a,d");
    assert_eq!(matching("task:group !~ 'service:.*'"), "c,e");
    // Attributes order version-wise when both sides are dotted numbers, else by bytes.
    assert_eq!(matching("attribute:ecs.instance-type > t2.medium"), "a,e");
}

fn error(text: &str) -> String {
    Query::parse(text).expect_err(text).to_string()
}

#[test]
fn errors_name_the_column_and_what_was_expected() {
    assert_eq!(error("attribute:stack prod"), "expected an operator after 'attribute:stack' at column 17, found 'prod'");
    assert_eq!(
        error("attribute:stack = prod"),
        "expected an operator after 'attribute:stack' (equality is '==') at column 17, found '='"
    );
    assert_eq!(
        error(""),
        "expected a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group), 'not' or '(' at column 1, found the end of the expression"
    );
    assert_eq!(error("attribute:a == "), "expected a value at column 16, found the end of the expression");
    assert_eq!(
        error("(attribute:a == x"),
        "expected ')' or a Boolean operator (and, or, &&, ||) at column 18, found the end of the expression"
    );
    assert_eq!(error("attribute:a == x y"), "expected 'and', 'or' or the end of the expression at column 18, found 'y'");
    assert_eq!(error("attribute:a in x"), "expected '[' starting the list after 'in' at column 16, found 'x'");
    assert_eq!(error("attribute:a in [x y]"), "expected ',' or ']' in the list at column 19, found 'y]'");
    assert_eq!(error("attribute:a in []"), "expected a value at column 17, found ']'");
    assert_eq!(error("attribute:a == 'x"), "expected a closing ' for the value at column 16, found ''x'");
    assert_eq!(
        error("agentVersion =~ 1.*"),
        "agentVersion takes the operators ==, !=, >, >=, < and <=, not '=~' at column 14, found '=~'"
    );
    assert_eq!(
        error("task:group > a"),
        "task:group takes the operators ==, !=, in, !in, =~, !~, exists and !exists, not '>' at column 12, found '>'"
    );
    assert_eq!(error("agentVersion < latest"), "expected an agent version such as 1.14.5 at column 16, found 'latest'");
    assert_eq!(
        error("registeredAt < 2018-02-30"),
        "expected a date (2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18) at column 16, found '2018-02-30'"
    );
    assert_eq!(error("runningTasksCount > -1"), "expected a number of tasks at column 21, found '-1'");
    assert_eq!(error("agentConnected == yes"), "expected true or false at column 19, found 'yes'");
    assert_eq!(error("attribute: == x"), "expected an attribute name after 'attribute:' at column 11, found whitespace");
    assert_eq!(
        error("instanceType == x"),
        error("").replace("column 1, found the end of the expression", "column 1, found 'instanceType'")
    );
    assert_eq!(
        error("attribute:a =~ 'x(?=y)'"),
        "the pattern 'x(?=y)' is lookahead (?=...) (the regex crate cannot express it) at column 16"
    );
    assert_eq!(
        error("memberOf(attribute:a exists"),
        "expected ')' closing memberOf( at column 28, found the end of the expression"
    );
    // The console form is the whole expression: nothing may follow it.
    assert_eq!(
        error("memberOf(attribute:stack == prod) and runningTasksCount == 1"),
        "expected the end of the expression after memberOf(...) at column 35, found 'and'"
    );
    // A bare pattern ends at a bracket or parenthesis: one with a class or a group must be quoted,
    // and the error says so at the pattern (it read "expected 'and', 'or' …, found '[ab]'", and
    // "expected a value …, found '(?i)…'" of the value it had found).
    assert_eq!(
        error("attribute:ecs.availability-zone =~ us-east-1[ab]"),
        "a pattern with '(' or '[' in it must be quoted, '...' or \"...\" at column 36, found 'us-east-1[ab]'"
    );
    assert_eq!(
        error("attribute:a !~ (?i)US-EAST-1A and attribute:b exists"),
        "a pattern with '(' or '[' in it must be quoted, '...' or \"...\" at column 16, found '(?i)US-EAST-1A'"
    );
    assert_eq!(matching("ec2InstanceId =~ \"i-0[cd]\""), "c,d");
    // A bare pattern may still close a group or the console form.
    assert_eq!(matching("(ec2InstanceId =~ i-0c.*)"), "c");
    assert!(Query::parse("memberOf(attribute:a =~ x.*)").is_ok());
    // Columns count characters, not bytes.
    assert_eq!(error("attribute:a == 'é' x"), "expected 'and', 'or' or the end of the expression at column 20, found 'x'");
}

#[test]
fn length_and_depth_are_bounded() {
    let long = format!("attribute:a == '{}'", "x".repeat(MAX_QUERY_CHARS));
    assert_eq!(
        error(&long),
        format!("the expression is {} characters long; at most 2000 are allowed at column 2001", long.len())
    );
    let nested = |n: usize| format!("{}attribute:a exists{}", "(".repeat(n), ")".repeat(n));
    assert!(Query::parse(&nested(MAX_QUERY_DEPTH)).is_ok());
    assert_eq!(error(&nested(MAX_QUERY_DEPTH + 1)), "the expression is nested deeper than 64 levels at column 65");
    let nots = format!("{}attribute:a exists", "not ".repeat(MAX_QUERY_DEPTH + 1));
    assert_eq!(error(&nots), "the expression is nested deeper than 64 levels at column 257");
}

#[test]
fn uses_task_group_sees_every_condition() {
    assert!(Query::parse("attribute:a exists or not (task:group == x)").expect("valid").uses_task_group());
    assert!(!Query::parse("attribute:a exists or runningTasksCount > 1").expect("valid").uses_task_group());
}

// ----- properties -----

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof!["[a-z0-9.:_-]{1,8}", "[^'\"]{0,8}", "[^'\"]{0,6}'[^\"']{0,3}"].prop_map(|text| Value { text, typed: Typed::Text })
}

fn condition() -> impl Strategy<Value = Condition> {
    let compare = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
        Just(CompareOp::Lt),
        Just(CompareOp::Le)
    ];
    let version = prop::collection::vec(0u64..200, 1..4).prop_map(|parts| {
        let text = parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
        let key = super::values::version_key(&text).expect("dotted numbers");
        Value { text, typed: Typed::Version(key) }
    });
    let date = (2000u32..2030, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0usize..4).prop_map(|(y, mo, d, h, mi, form)| {
        let text = match form {
            0 => format!("{y:04}-{mo:02}-{d:02}"),
            1 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:07"),
            2 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:07Z"),
            _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:07-05:30"),
        };
        let (unix_ms, precision_ms) = super::values::parse_date(&text).expect("valid date");
        Value { text, typed: Typed::Time { unix_ms, precision_ms } }
    });
    let pattern = "[a-z0-9]{0,4}(\\.\\*)?".prop_map(|text| {
        let (regex, _) = compile_pattern(&text, super::values::PATTERN_BUDGET_BYTES).expect("a literal and .*");
        Pattern { text, regex }
    });
    let negated = any::<bool>();
    prop_oneof![
        (compare.clone(), version)
            .prop_map(|(op, value)| Condition { subject: Subject::AgentVersion, test: Test::Compare { op, value } }),
        (compare.clone(), date)
            .prop_map(|(op, value)| Condition { subject: Subject::RegisteredAt, test: Test::Compare { op, value } }),
        (compare.clone(), 0u64..1000).prop_map(|(op, n)| Condition {
            subject: Subject::RunningTasksCount,
            test: Test::Compare { op, value: Value { text: n.to_string(), typed: Typed::Count(n) } }
        }),
        any::<bool>().prop_map(|b| Condition {
            subject: Subject::AgentConnected,
            test: Test::Compare { op: CompareOp::Eq, value: Value { text: b.to_string(), typed: Typed::Bool(b) } }
        }),
        (negated, pattern.clone()).prop_map(|(negated, pattern)| Condition {
            subject: Subject::Ec2InstanceId,
            test: Test::Matches { negated, pattern }
        }),
        (negated, prop::collection::vec(text_value(), 1..4))
            .prop_map(|(negated, values)| Condition { subject: Subject::TaskGroup, test: Test::In { negated, values } }),
        ("[A-Za-z0-9_./\\\\-]{1,12}", compare, text_value())
            .prop_map(|(name, op, value)| Condition { subject: Subject::Attribute(name), test: Test::Compare { op, value } }),
        ("[a-z.]{1,6}", negated)
            .prop_map(|(name, negated)| Condition { subject: Subject::Attribute(name), test: Test::Exists { negated } }),
        ("[a-z.]{1,6}", any::<bool>(), pattern).prop_map(|(name, negated, pattern)| Condition {
            subject: Subject::Attribute(name),
            test: Test::Matches { negated, pattern }
        }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    condition().prop_map(Expr::Condition).prop_recursive(5, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

/// Characters and words the language is made of, to reach deep into the parser.
fn query_like() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("attribute:ecs.instance-type".to_string()),
        Just("task:group".to_string()),
        Just("agentVersion".to_string()),
        Just("registeredAt".to_string()),
        Just("runningTasksCount".to_string()),
        Just("memberOf(".to_string()),
        Just("not".to_string()),
        Just("and".to_string()),
        Just("||".to_string()),
        Just("!".to_string()),
        Just("==".to_string()),
        Just("=~".to_string()),
        Just("not_in".to_string()),
        Just("exists".to_string()),
        Just("2018-02-13".to_string()),
        Just("1.14.5".to_string()),
        "[a-z0-9()\\[\\],'\" .*+?{}\\\\|&!=<>~-]{1,4}",
    ];
    prop::collection::vec(token, 0..24).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Tree → canonical text → parse gives the same tree.
    #[test]
    fn canonical_text_parses_to_the_same_tree(e in expr()) {
        let text = e.to_string();
        prop_assume!(text.chars().count() <= MAX_QUERY_CHARS);
        let parsed = Query::parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
        prop_assert_eq!(&parsed.expr, &e, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    /// No input makes the parser (or, when it parses, the evaluator) panic; an error's column is
    /// within the input, and an accepted expression's canonical text parses to it again.
    #[test]
    fn arbitrary_input_never_panics(text in prop_oneof![any::<String>(), query_like()]) {
        match Query::parse(&text) {
            Ok(q) => {
                for f in &FIXTURES {
                    q.matches(f);
                }
                prop_assert_eq!(Query::parse(&q.to_string()), Ok(q));
            }
            Err(err) => prop_assert!(err.column() >= 1 && err.column() <= text.chars().count().max(MAX_QUERY_CHARS) + 1),
        }
    }
}

/// The attributes an expression reads, each once, in the order written.
#[test]
fn an_expression_lists_the_attributes_it_reads() {
    let q = Query::parse("attribute:ecs.os-family == LINUX and (not(attribute:team == a) or attribute:ecs.os-family exists) and runningTasksCount > 1")
        .expect("parses");
    assert_eq!(q.attributes_read(), vec!["ecs.os-family", "team"]);
    assert!(Query::parse("agentConnected == true").expect("parses").attributes_read().is_empty());
}

/// A condition on an attribute the fixtures have, with values some of them hold (and the empty
/// text, which an attribute without a value reads as).
fn fixture_condition() -> impl Strategy<Value = Condition> {
    let name = prop::sample::select(vec!["ecs.instance-type", "ecs.availability-zone", "stack", "absent"]);
    let value = prop::sample::select(vec!["t2.small", "t2.medium", "us-east-1a", "us-east-1b", "prod", "dev", ""])
        .prop_map(|v| Value { text: v.to_string(), typed: Typed::Text });
    let op = prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne, CompareOp::Lt]);
    prop_oneof![
        (name.clone(), op, value.clone())
            .prop_map(|(n, op, value)| Condition { subject: Subject::Attribute(n.into()), test: Test::Compare { op, value } }),
        (name.clone(), any::<bool>(), prop::collection::vec(value, 1..3)).prop_map(|(n, negated, values)| Condition {
            subject: Subject::Attribute(n.into()),
            test: Test::In { negated, values }
        }),
        (name, any::<bool>())
            .prop_map(|(n, negated)| Condition { subject: Subject::Attribute(n.into()), test: Test::Exists { negated } }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// An expression's required values are required: an instance satisfies it only when its
    /// value of the attribute is one of them (the placement index asks only such instances about
    /// a keyed `memberOf` list).
    #[test]
    fn an_instance_without_a_required_value_does_not_match(
        e in fixture_condition().prop_map(Expr::Condition).prop_recursive(3, 12, 3, |inner| prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ])
    ) {
        let q = Query { expr: e };
        let Some((attribute, values)) = q.required_values() else { return Ok(()) };
        prop_assert!(!values.is_empty());
        for f in &FIXTURES {
            if q.matches(f) {
                let held = f.attribute(attribute).flatten();
                prop_assert!(held.is_some_and(|v| values.contains(&v)), "{} matches {} holding {:?}", q, f.name, held);
            }
        }
    }
}

/// The values an expression requires: `==` and `in`, alone, in an `and` (its first operand that
/// requires any) or joined by `or` on the same attribute (their union), never a negated, ordered or
/// empty test.
#[test]
fn required_values_are_read_through_and_and_or() {
    let required = |text: &str| {
        let q = Query::parse(text).expect("parses");
        q.required_values().map(|(a, v)| (a.to_string(), v.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
    };
    let of = |a: &str, v: &[&str]| Some((a.to_string(), v.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    assert_eq!(required("attribute:pool == team-a"), of("pool", &["team-a"]));
    assert_eq!(required("runningTasksCount < 3 and attribute:pool in [a, b]"), of("pool", &["a", "b"]));
    assert_eq!(required("attribute:pool != a"), None);
    assert_eq!(required("attribute:pool !in [a]"), None);
    assert_eq!(required("attribute:pool == a or attribute:pool == b"), of("pool", &["a", "b"]));
    assert_eq!(required("attribute:pool == a or attribute:pool in [b, a]"), of("pool", &["a", "b"]));
    assert_eq!(required("(attribute:pool == a or attribute:pool == b) and runningTasksCount < 3"), of("pool", &["a", "b"]));
    assert_eq!(required("(attribute:pool == a and attribute:team == x) or attribute:pool == b"), of("pool", &["a", "b"]));
    assert_eq!(
        required("runningTasksCount < 3 and (attribute:pool == a or attribute:team == b) and attribute:team == c"),
        of("team", &["c"])
    );
    assert_eq!(required("attribute:pool == a or attribute:team == b"), None, "two attributes");
    assert_eq!(required("attribute:pool == a or runningTasksCount < 3"), None, "an operand requiring nothing");
    assert_eq!(required("attribute:pool == a or attribute:pool == ''"), None);
    assert_eq!(required("not(attribute:pool == a or attribute:pool == b)"), None);
    assert_eq!(required("not(attribute:pool == a)"), None);
    assert_eq!(required("attribute:pool == ''"), None);
    assert_eq!(required("attribute:pool > a"), None);
    assert_eq!(required("task:group == service:web"), None, "a task group is no attribute");
}

/// The task groups an expression requires, read as an attribute's values are: `task:group ==`
/// and `in` alone, in an `and` or joined by `or`, never negated, ordered, empty or in an `or` with
/// another subject.
#[test]
fn required_task_groups_are_read_through_and_and_or() {
    let required = |text: &str| {
        let q = Query::parse(text).expect("parses");
        q.required_task_groups().map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    };
    let of = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(required("task:group == service:web"), of(&["service:web"]));
    assert_eq!(required("attribute:pool == a and task:group in [service:web, family:db]"), of(&["service:web", "family:db"]));
    assert_eq!(required("task:group != service:web"), None);
    assert_eq!(required("not(task:group == service:web)"), None);
    assert_eq!(required("task:group == service:web or attribute:pool == a"), None);
    assert_eq!(required("task:group == service:web or task:group == service:api"), of(&["service:web", "service:api"]));
    assert_eq!(required("task:group exists"), None);
    assert_eq!(required("task:group =~ service:.*"), None);
    assert_eq!(required("attribute:pool == a"), None);
}
