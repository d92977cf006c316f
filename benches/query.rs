//! The cluster query language parser (docs/ecs-choices.md §8) on inputs of 100 to 2,000
//! characters, the documented limit, in the shapes that make a parser work hardest:
//!
//! - `and_chain`: conditions joined by `and`, each with a bare value (the most tokens per byte);
//! - `mixed`: `or` of parenthesised `and` groups with `not`, word operators, quoted values, lists
//!   and every subject (the most productions per byte);
//! - `in_list`: one `in` with a list of values (the longest loop over one production);
//! - `nested`: parentheses 64 deep (the limit; fewer where 100 characters leave no room) around an
//!   `and` chain (the deepest recursion);
//! - `error_at_end`: a valid chain whose last condition lacks its value (the whole input is read,
//!   then the column is counted);
//! - `patterns`: `=~` conditions only, each compiled by the `regex` crate (the most expensive
//!   condition: its cost is one compilation per pattern, so it grows with their number).
//!
//! Throughput is in bytes, so a cost that grows linearly with the input shows as the same bytes
//! per second at every size.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use drainsim_core::query::Query;

/// `units` joined by `joiner`, cycling through them, as long as the result stays within `len`.
fn fill(units: &[&str], joiner: &str, len: usize) -> String {
    let mut out = String::new();
    for unit in units.iter().cycle() {
        let extra = if out.is_empty() { unit.len() } else { joiner.len() + unit.len() };
        if out.len() + extra > len {
            break;
        }
        if !out.is_empty() {
            out.push_str(joiner);
        }
        out.push_str(unit);
    }
    out
}

fn inputs(len: usize) -> Vec<(&'static str, String)> {
    let and_chain = fill(&["attribute:ecs.instance-type == t2.small"], " and ", len);
    let mixed = fill(
        &[
            "(agentVersion >= 1.14.5 && not (attribute:stack == 'prod') && registeredAt < 2018-06-18)",
            "(task:group in [service:web, \"family:db\"] and runningTasksCount greater_than_equal 2)",
            "(ec2InstanceId not_in ['i-abcd1234'] and agentConnected == true and attribute:x =~ 'a.*')",
        ],
        " or ",
        len,
    );
    let values =
        fill(&["us-east-1a", "'us-east-1b'", "\"us-east-1c\""], ", ", len - "attribute:ecs.availability-zone in []".len());
    let in_list = format!("attribute:ecs.availability-zone in [{values}]");
    // 64 levels where the input has room for them and one condition inside.
    let depth = 64.min((len - "runningTasksCount > 1".len()) / 2);
    let inner = fill(&["runningTasksCount > 1"], " && ", len - 2 * depth);
    let nested = format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth));
    let error_at_end = format!("{} and attribute:stack ==", fill(&["attribute:stack != prod"], " and ", len - 26));
    let patterns = fill(&["attribute:a=~'x.*'"], "&&", len);
    vec![
        ("and_chain", and_chain),
        ("mixed", mixed),
        ("in_list", in_list),
        ("nested", nested),
        ("error_at_end", error_at_end),
        ("patterns", patterns),
    ]
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("query");
    for len in [100, 250, 500, 1000, 2000] {
        for (shape, text) in inputs(len) {
            assert!(text.len() <= len && text.len() + 100 >= len, "{shape} at {len}: {} bytes", text.len());
            assert_eq!(Query::parse(&text).is_ok(), shape != "error_at_end", "{shape}: {text}");
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::new(shape, len), &text, |b, text| {
                b.iter(|| black_box(Query::parse(black_box(text))))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
