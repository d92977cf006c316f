//! Prints the generated large drain scenario (docs/performance.md):
//! `cargo run --release --example large_scenario -- 20000 1000 > large.ron`
//! (instances, services of 100 tasks; defaults 20,000 and 1,000).

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let instances = args.next().and_then(Result::ok).unwrap_or(20_000);
    let services = args.next().and_then(Result::ok).unwrap_or(1_000);
    print!("{}", drainsim_scenario::synthetic::large_drain_scenario(instances, services));
}
