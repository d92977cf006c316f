//! Prints the API script of the `api/register_drain_describe_*` benchmarks (docs/performance.md), as
//! RON or, with `--json`, as the same scenario in JSON:
//! `cargo run --release --example api_script -- 1000 > api1k.ron`,
//! `cargo run --release --example api_script -- 1000 --json > api1k.json`
//! (instances registered, drained ten per call and described a hundred per call; default 1,000).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let instances = args.iter().find_map(|a| a.parse::<usize>().ok()).unwrap_or(1_000).clamp(1, 100_000);
    let ron = drainsim_scenario::synthetic::api_script(instances);
    if args.iter().any(|a| a == "--json") {
        let loaded = drainsim_scenario::load_str("api.ron", &ron).expect("the API script loads");
        println!("{}", serde_json::to_string(&loaded.scenario).expect("a scenario is JSON"));
    } else {
        print!("{ron}");
    }
}
