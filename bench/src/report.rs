//! Reads a load run's results back and prints the one table.
//!
//! `scripts/load-bench.sh` leaves, per timed run, `<tokens>__<alg>__<stack>__r<round>.wrk` (wrk's
//! output) with `.before.json` and `.after.json` ([`Stats`] read around the run), and per
//! allocation pass `<tokens>__<alg>__<stack>__allocs.wrk` with the same two snapshots, taken
//! from the counting binary. `<tokens>` is `reused` (one token for every request) or `fresh`
//! (a new token on every request). `raw__<alg>.txt` holds the microseconds of CPU one
//! signature check by hand costs (`auth-bench raw-verify`): with it, a second table gives the
//! speed issue's targets for new tokens.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::keys::ALGORITHMS;
use crate::server::Stats;
use crate::stacks::Stack;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkRun {
    /// Responses received.
    pub requests: u64,
    /// Responses per second.
    pub requests_per_sec: f64,
    /// Median latency, in microseconds.
    pub p50_us: f64,
    /// 99th-percentile latency, in microseconds.
    pub p99_us: f64,
    /// Responses whose status was not 2xx or 3xx: a token was refused.
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
}

impl WrkRun {
    /// Parses the output of `wrk --latency`.
    pub fn parse(text: &str) -> Result<WrkRun, String> {
        let mut run = WrkRun {
            requests: 0,
            requests_per_sec: f64::NAN,
            p50_us: f64::NAN,
            p99_us: f64::NAN,
            non_2xx: 0,
            socket_errors: 0,
        };
        for line in text.lines().map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["Requests/sec:", rate] => run.requests_per_sec = number(rate)?,
                ["50%", latency] => run.p50_us = micros(latency)?,
                ["99%", latency] => run.p99_us = micros(latency)?,
                [count, "requests", "in", ..] => run.requests = number(count)? as u64,
                ["Non-2xx", "or", "3xx", "responses:", count] => {
                    run.non_2xx = number(count)? as u64
                }
                ["Socket", "errors:", rest @ ..] => {
                    run.socket_errors = rest
                        .iter()
                        .filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok())
                        .sum();
                }
                _ => {}
            }
        }
        if run.requests_per_sec.is_nan() || run.p50_us.is_nan() || run.p99_us.is_nan() {
            return Err("not the output of `wrk --latency`".to_owned());
        }
        Ok(run)
    }
}

fn number(text: &str) -> Result<f64, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn micros(text: &str) -> Result<f64, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("`{text}` has no unit"))?;
    let (value, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => return Err(format!("`{text}`: unknown unit")),
    };
    Ok(number(value)? * scale)
}

/// How the clients present tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tokens {
    /// One token for every request, as real clients reuse theirs.
    Reused,
    /// A token never seen before on every request (a miss in any cache).
    Fresh,
}

impl Tokens {
    fn parse(name: &str) -> Option<Tokens> {
        match name {
            "reused" => Some(Tokens::Reused),
            "fresh" => Some(Tokens::Fresh),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tokens::Reused => "reused",
            Tokens::Fresh => "new every request",
        }
    }
}

/// Which table row a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RowKey {
    tokens: Tokens,
    alg: usize,
    stack: Stack,
}

#[derive(Default)]
struct Measurements {
    rounds: BTreeMap<u32, WrkRun>,
    cache_hits: u64,
    cache_misses: u64,
    /// Server CPU nanoseconds per request, one value per round that measured it.
    cpu_ns_per_request: Vec<f64>,
    /// The user-space part of it, likewise.
    user_ns_per_request: Vec<f64>,
    allocations: Option<f64>,
}

/// A load run's results: one row per tokens mode, algorithm and stack. "spread" is half the
/// range of the rounds' throughputs, relative to their median: how much the machine drifted.
/// "server CPU/req" is the CPU time the server spent per response (median over rounds): its
/// own cost, also when the load generator is the bottleneck; "user" is the part of it in user
/// space (the stack's code, where the kernel's part is sending and receiving, and waking the
/// client, which varies from run to run with the client's idleness).
pub struct Report {
    rows: BTreeMap<RowKey, Measurements>,
    /// Microseconds of one signature check by hand, by algorithm (index into `ALGORITHMS`).
    raw_verify_us: BTreeMap<usize, f64>,
    warnings: Vec<String>,
}

impl Report {
    /// Reads every result file in `dir`.
    pub fn read(dir: &Path) -> Result<Report, String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let mut report = Report {
            rows: BTreeMap::new(),
            raw_verify_us: BTreeMap::new(),
            warnings: Vec::new(),
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".wrk"))
            .collect();
        names.sort();
        for (alg, name) in ALGORITHMS.iter().enumerate() {
            let path = dir.join(format!("raw__{name:?}.txt"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                let micros = number(text.trim()).map_err(|e| format!("{}: {e}", path.display()))?;
                report.raw_verify_us.insert(alg, micros);
            }
        }
        for name in names {
            let stem = name.trim_end_matches(".wrk");
            let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("{stem}{suffix}")));
            let Some((key, round)) = parse_name(stem) else {
                report.warnings.push(format!("ignored {name}"));
                continue;
            };
            let wrk = read(".wrk").map_err(|e| format!("reading {name}: {e}"))?;
            let run = WrkRun::parse(&wrk).map_err(|e| format!("{name}: {e}"))?;
            if run.non_2xx > 0 || run.socket_errors > 0 {
                report.warnings.push(format!(
                    "{stem}: {} non-2xx responses, {} socket errors",
                    run.non_2xx, run.socket_errors
                ));
            }
            let delta = match (read(".before.json"), read(".after.json")) {
                (Ok(before), Ok(after)) => Some(stats_delta(&before, &after)?),
                _ => None,
            };
            let row = report.rows.entry(key).or_default();
            match round {
                Some(round) => {
                    row.rounds.insert(round, run);
                    if let Some(delta) = delta {
                        row.cache_hits += delta.cache_hits.unwrap_or(0);
                        row.cache_misses += delta.cache_misses.unwrap_or(0);
                        let per_request = |ns: Option<u64>| {
                            ns.filter(|_| run.requests > 0)
                                .map(|ns| ns as f64 / run.requests as f64)
                        };
                        row.cpu_ns_per_request.extend(per_request(delta.cpu_ns));
                        row.user_ns_per_request.extend(per_request(delta.user_ns));
                    }
                }
                None => {
                    row.allocations = delta
                        .and_then(|delta| delta.allocations)
                        .map(|allocations| allocations as f64 / run.requests.max(1) as f64);
                }
            }
        }
        report.rows.retain(|_, row| !row.rounds.is_empty());
        for (key, row) in &report.rows {
            let looked_up = row.cache_hits + row.cache_misses;
            if key.tokens == Tokens::Fresh && row.cache_hits * 200 > looked_up {
                report.warnings.push(format!(
                    "{:?} {}: {} of {looked_up} new-token requests hit the cache; raise FRESH_TOKENS",
                    ALGORITHMS[key.alg], key.stack, row.cache_hits
                ));
            }
        }
        if report.rows.is_empty() {
            return Err(format!("no results in {}", dir.display()));
        }
        Ok(report)
    }

    /// The median of the per-round throughput ratios of `key`'s stack to no-auth.
    fn ratio_to_noauth(&self, key: RowKey) -> Option<f64> {
        let baseline = self.rows.get(&RowKey {
            stack: Stack::NoAuth,
            ..key
        })?;
        let ratios: Vec<f64> = self.rows[&key]
            .rounds
            .iter()
            .filter_map(|(round, run)| {
                let base = baseline.rounds.get(round)?;
                Some(run.requests_per_sec / base.requests_per_sec)
            })
            .collect();
        median(ratios)
    }

    /// The median server CPU per request of `key`'s row, in microseconds.
    fn cpu_us(&self, key: RowKey) -> Option<f64> {
        median(self.rows.get(&key)?.cpu_ns_per_request.clone()).map(|ns| ns / 1000.0)
    }

    /// The median requests per second of `key`'s row.
    fn requests_per_sec(&self, key: RowKey) -> Option<f64> {
        let rounds = &self.rows.get(&key)?.rounds;
        median(rounds.values().map(|run| run.requests_per_sec).collect())
    }

    /// The targets of the speed issue, new token on every request, one row per algorithm:
    /// `#[requires]` against the best hand-written stack (≥ 1.0), and its server CPU per
    /// request against no-auth's plus one signature check by hand (≤ 1.2), summed (no-auth at
    /// its own full rate) and, when the run has `noauth-verify`, under load (that sum served
    /// by one server at about a signature's request rate, paying the same wake-ups).
    fn write_targets(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = |alg, stack| RowKey {
            tokens: Tokens::Fresh,
            alg,
            stack,
        };
        let mut header = false;
        for (&alg, &raw) in &self.raw_verify_us {
            let Some(requires) = self.requests_per_sec(key(alg, Stack::Requires)) else {
                continue;
            };
            if !header {
                writeln!(
                    f,
                    "\nTargets, new token every request: `requires` against the best hand-written stack (≥ 1.0), and its server CPU per request against no-auth's plus one signature check by hand (≤ 1.2), summed and under load (`noauth-verify`).\n"
                )?;
                writeln!(f, "| alg | requires req/s | best hand-written req/s | ratio | no-auth CPU/req | one check by hand | requires CPU/req | vs summed | noauth-verify CPU/req | vs under load |")?;
                writeln!(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
                header = true;
            }
            let best = [Stack::HttpAuth, Stack::Grants]
                .into_iter()
                .filter_map(|stack| self.requests_per_sec(key(alg, stack)))
                .reduce(f64::max);
            let (best, speed) = match best {
                Some(best) => (format!("{best:.0}"), format!("{:.2}", requires / best)),
                None => ("—".to_owned(), "—".to_owned()),
            };
            let noauth = self.cpu_us(key(alg, Stack::NoAuth));
            let cpu = self.cpu_us(key(alg, Stack::Requires));
            let show = |micros: Option<f64>| micros.map_or("—".to_owned(), latency);
            let cost = match (noauth, cpu) {
                (Some(noauth), Some(cpu)) => format!("{:.2}", cpu / (noauth + raw)),
                _ => "—".to_owned(),
            };
            let under_load = self.cpu_us(key(alg, Stack::NoAuthVerify));
            let cost_under_load = match (under_load, cpu) {
                (Some(baseline), Some(cpu)) => format!("{:.2}", cpu / baseline),
                _ => "—".to_owned(),
            };
            writeln!(
                f,
                "| {:?} | {requires:.0} | {best} | {speed} | {} | {} | {} | {cost} | {} | {cost_under_load} |",
                ALGORITHMS[alg],
                show(noauth),
                latency(raw),
                show(cpu),
                show(under_load),
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| tokens | stack | alg | req/s | spread | p50 | p99 | vs no-auth | server CPU/req | user | cache hits | allocs/req |"
        )?;
        writeln!(
            f,
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )?;
        for (&key, row) in &self.rows {
            let column = |pick: fn(&WrkRun) -> f64| median(row.rounds.values().map(pick).collect());
            let requests_per_sec = column(|run| run.requests_per_sec).unwrap_or(f64::NAN);
            let (slowest, fastest) = row
                .rounds
                .values()
                .fold((f64::MAX, 0.0f64), |(lo, hi), run| {
                    (lo.min(run.requests_per_sec), hi.max(run.requests_per_sec))
                });
            let spread = 50.0 * (fastest - slowest) / requests_per_sec;
            let p50 = column(|run| run.p50_us).unwrap_or(f64::NAN);
            let p99 = column(|run| run.p99_us).unwrap_or(f64::NAN);
            let ratio = self
                .ratio_to_noauth(key)
                .map_or("—".to_owned(), |ratio| format!("{ratio:.2}"));
            let looked_up = row.cache_hits + row.cache_misses;
            let cache = match key.stack {
                Stack::RequiresNoCache => "off".to_owned(),
                _ if looked_up == 0 => "—".to_owned(),
                _ => format!("{:.0}%", 100.0 * row.cache_hits as f64 / looked_up as f64),
            };
            let micros = |per_request: &Vec<f64>| {
                median(per_request.clone()).map_or("—".to_owned(), |ns| latency(ns / 1000.0))
            };
            let (cpu, user) = (
                micros(&row.cpu_ns_per_request),
                micros(&row.user_ns_per_request),
            );
            let allocations = row
                .allocations
                .map_or("—".to_owned(), |allocations| format!("{allocations:.1}"));
            writeln!(
                f,
                "| {} | {} | {:?} | {:.0} | ±{spread:.0}% | {} | {} | {ratio} | {cpu} | {user} | {cache} | {allocations} |",
                key.tokens.label(),
                key.stack,
                ALGORITHMS[key.alg],
                requests_per_sec,
                latency(p50),
                latency(p99),
            )?;
        }
        self.write_targets(f)?;
        for warning in &self.warnings {
            writeln!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

/// `reused__HS256__requires__r2` → its row and round; `…__allocs` → its row and no round.
fn parse_name(stem: &str) -> Option<(RowKey, Option<u32>)> {
    let parts: Vec<&str> = stem.split("__").collect();
    let [tokens, alg, stack, run] = parts.as_slice() else {
        return None;
    };
    let key = RowKey {
        tokens: Tokens::parse(tokens)?,
        alg: ALGORITHMS
            .iter()
            .position(|known| format!("{known:?}") == *alg)?,
        stack: stack.parse().ok()?,
    };
    let round = match *run {
        "allocs" => None,
        run => Some(run.strip_prefix('r')?.parse().ok()?),
    };
    Some((key, round))
}

fn stats_delta(before: &str, after: &str) -> Result<Stats, String> {
    let parse = |text: &str| {
        serde_json::from_str::<Stats>(text).map_err(|e| format!("a statistics snapshot: {e}"))
    };
    let (before, after) = (parse(before)?, parse(after)?);
    let minus = |after: Option<u64>, before: Option<u64>| Some(after?.saturating_sub(before?));
    Ok(Stats {
        pid: after.pid,
        allocations: minus(after.allocations, before.allocations),
        cache_hits: minus(after.cache_hits, before.cache_hits),
        cache_misses: minus(after.cache_misses, before.cache_misses),
        cpu_ns: minus(after.cpu_ns, before.cpu_ns),
        user_ns: minus(after.user_ns, before.user_ns),
    })
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

fn latency(micros: f64) -> String {
    if micros < 100.0 {
        format!("{micros:.1} µs")
    } else if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.2} ms", micros / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 5s test @ http://127.0.0.1:18081/items
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.12us   45.01us   2.10ms   90.00%
    Req/Sec   98.00k     1.20k   101.00k    70.00%
  Latency Distribution
     50%  301.00us
     75%  320.00us
     90%  350.00us
     99%    1.20ms
  490123 requests in 5.00s, 80.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  98024.60
Transfer/sec:     16.00MB
";

    #[test]
    fn wrk_output_parses() {
        let run = WrkRun::parse(WRK).unwrap();
        assert_eq!(run.requests, 490_123);
        assert_eq!(run.requests_per_sec, 98_024.6);
        assert_eq!(run.p50_us, 301.0);
        assert_eq!(run.p99_us, 1200.0);
        assert_eq!(run.non_2xx, 4);
        assert_eq!(run.socket_errors, 3);
        assert!(WrkRun::parse("wrk: connection refused").is_err());
    }

    #[test]
    fn result_names_parse() {
        let (key, round) = parse_name("fresh__EdDSA__requires-nocache__r3").unwrap();
        assert_eq!(key.tokens, Tokens::Fresh);
        assert_eq!(ALGORITHMS[key.alg], jsonwebtoken::Algorithm::EdDSA);
        assert_eq!(key.stack, Stack::RequiresNoCache);
        assert_eq!(round, Some(3));
        assert_eq!(parse_name("reused__HS256__grants__allocs").unwrap().1, None);
        assert!(parse_name("reused__HS999__grants__r1").is_none());
    }

    #[test]
    fn medians_and_latencies() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        assert_eq!(latency(301.0), "301 µs");
        assert_eq!(latency(8.84), "8.8 µs");
        assert_eq!(latency(1234.0), "1.23 ms");
    }

    #[test]
    fn a_directory_of_results_makes_one_row_per_stack() {
        let dir = std::env::temp_dir().join(format!("auth-bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        let slower = WRK.replace("98024.60", "49012.30");
        for round in 1..=2 {
            write(&format!("reused__HS256__noauth__r{round}.wrk"), WRK);
            write(&format!("reused__HS256__requires__r{round}.wrk"), &slower);
            write(
                &format!("reused__HS256__requires__r{round}.before.json"),
                r#"{"allocations":null,"cache_hits":10,"cache_misses":1,"cpu_ns":1000,"user_ns":0}"#,
            );
            write(
                &format!("reused__HS256__requires__r{round}.after.json"),
                r#"{"allocations":null,"cache_hits":110,"cache_misses":1,"cpu_ns":4410922000,"user_ns":2940000000}"#,
            );
        }
        write("reused__HS256__requires__allocs.wrk", WRK);
        write(
            "reused__HS256__requires__allocs.before.json",
            r#"{"allocations":1000,"cache_hits":0,"cache_misses":0}"#,
        );
        write(
            "reused__HS256__requires__allocs.after.json",
            r#"{"allocations":4902230,"cache_hits":0,"cache_misses":0}"#,
        );
        let table = Report::read(&dir).unwrap().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            table.contains(
                "| reused | requires | HS256 | 49012 | ±0% | 301 µs | 1.20 ms | 0.50 | 9.0 µs | 6.0 µs | 100% | 10.0 |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| reused | noauth | HS256 | 98025 |"),
            "{table}"
        );
        assert!(
            table.contains("warning: reused__HS256__noauth__r1: 4 non-2xx"),
            "{table}"
        );
    }

    #[test]
    fn targets_compare_with_the_best_hand_written_stack_and_one_check_by_hand() {
        let dir = std::env::temp_dir().join(format!("auth-bench-targets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        // 98,024.6 req/s and 490,123 requests (noauth); requires half as fast, httpauth a
        // quarter, grants a fifth.
        for (stack, wrk, cpu_ns) in [
            ("noauth", WRK.to_owned(), 4_901_230_000u64),
            (
                "requires",
                WRK.replace("98024.60", "49012.30"),
                5_881_476_000,
            ),
            (
                "httpauth",
                WRK.replace("98024.60", "24506.15"),
                9_000_000_000,
            ),
            ("grants", WRK.replace("98024.60", "19604.92"), 9_000_000_000),
            (
                "noauth-verify",
                WRK.replace("98024.60", "60000.00"),
                7_842_000_000,
            ),
        ] {
            write(&format!("fresh__HS256__{stack}__r1.wrk"), &wrk);
            write(
                &format!("fresh__HS256__{stack}__r1.before.json"),
                r#"{"allocations":null,"cache_hits":0,"cache_misses":0,"cpu_ns":0}"#,
            );
            write(
                &format!("fresh__HS256__{stack}__r1.after.json"),
                &format!(
                    r#"{{"allocations":null,"cache_hits":0,"cache_misses":0,"cpu_ns":{cpu_ns}}}"#
                ),
            );
        }
        write("raw__HS256.txt", "2.00\n");
        let table = Report::read(&dir).unwrap().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        // CPU/req: noauth 10.0 µs, requires 12.0 µs: 12 / (10 + 2) = 1.00; req/s 2× httpauth's;
        // noauth-verify 16.0 µs: 12 / 16 = 0.75.
        assert!(
            table.contains(
                "| HS256 | 49012 | 24506 | 2.00 | 10.0 µs | 2.0 µs | 12.0 µs | 1.00 | 16.0 µs | 0.75 |"
            ),
            "{table}"
        );
    }
}
