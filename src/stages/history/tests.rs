use super::*;
use crate::summary::{summarize, SummaryOptions};

const DAY: i64 = 86_400_000_000_000;

/// Tiny deterministic generator (no extra dependency) for random logs.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

#[test]
fn equals_summarize_at_every_snapshot() {
    let mut st = 7u64;
    for freq in [Freq::Day, Freq::Week, Freq::Month] {
        let n = 400;
        let codes: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 37) as i64).collect();
        let times: Vec<i64> = (0..n)
            .map(|_| (lcg(&mut st) % 700) as i64 * DAY + (lcg(&mut st) % 1000) as i64)
            .collect();
        let snaps: Vec<i64> = (1..8).map(|k| k * 100 * DAY + 5).collect();
        let rows = snapshot_summaries(&codes, 40, &times, &snaps, freq, 1.5).unwrap();
        for (s, &snap) in snaps.iter().enumerate() {
            let opts = SummaryOptions {
                freq,
                freq_multiplier: 1.5,
                include_first_transaction: false,
                observation_end_ns: snap,
            };
            let want = summarize(&codes, 40, &times, None, &opts).unwrap();
            let idx: Vec<usize> = (0..rows.customer.len())
                .filter(|&i| rows.snapshot[i] == s as i32)
                .collect();
            let got: Vec<i64> = idx.iter().map(|&i| rows.customer[i]).collect();
            assert_eq!(got, want.customer);
            for (k, &i) in idx.iter().enumerate() {
                assert_eq!(rows.frequency[i], want.frequency[k]);
                assert_eq!(rows.recency[i], want.recency[k]);
                assert_eq!(rows.t[i], want.t[k]);
                assert_eq!(rows.frequency[i] + 1.0, want.n_periods[k]);
                assert_eq!(
                    rows.gap_before_last[i].to_bits(),
                    want.gap_before_last[k].to_bits()
                );
            }
        }
    }
}

#[test]
fn fused_stages_equal_summaries_then_rules() {
    let mut st = 11u64;
    let n = 600;
    let codes: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 53) as i64).collect();
    let times: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 500) as i64 * DAY).collect();
    let snaps: Vec<i64> = (1..6).map(|k| k * 90 * DAY).collect();
    let index = SnapshotIndex::build(&codes, 60, &times, &snaps, Freq::Day, 1.0).unwrap();
    let rows = index.summaries().unwrap();
    let params = StageParams {
        new_window: 20.0,
        maturity_window: 60.0,
        churn_window: Some(80.0),
        at_risk_factor: 2.0,
        churn_factor: 100f64.ln(),
        median_ipt: 15.0,
        at_risk_p: 0.5,
        churn_p: 0.1,
        p_alive_for_one_time: false,
        enabled: [true; 7],
    };
    let inputs = crate::stages::StageInputs {
        repeats: &rows.frequency,
        recency: &rows.recency,
        t: &rows.t,
        gap_before_last: &rows.gap_before_last,
        p_alive: None,
        custom: None,
    };
    let (stage, reason) = crate::stages::assign_stages(&inputs, &params).unwrap();
    let fused = index.stages(&params, None).unwrap();
    assert_eq!(fused.customer, rows.customer);
    assert_eq!(fused.snapshot, rows.snapshot);
    assert_eq!(fused.stage, stage);
    assert_eq!(fused.reason, reason);
    let (f, r) = index.at_last_snapshot();
    let last: Vec<usize> = (0..rows.t.len())
        .filter(|&i| rows.snapshot[i] == 4)
        .collect();
    assert_eq!(
        f,
        last.iter().map(|&i| rows.frequency[i]).collect::<Vec<_>>()
    );
    assert_eq!(r, last.iter().map(|&i| rows.recency[i]).collect::<Vec<_>>());
}

#[test]
fn too_many_rows_are_refused_before_allocating() {
    // 1000 customers from day 0, 1.1 million minute-level snapshots (two years): 1.1e9
    // rows > MAX_ROWS, about 53 GB of summaries that are never allocated.
    let codes: Vec<i64> = (0..1000).collect();
    let times = vec![0i64; 1000];
    let minute = 60_000_000_000i64;
    let snaps: Vec<i64> = (1..=1_100_000).map(|k| k * minute).collect();
    let index = SnapshotIndex::build(&codes, 1000, &times, &snaps, Freq::Day, 1.0).unwrap();
    assert_eq!(index.n_rows(), 1_100_000_000);
    let err = index.summaries().unwrap_err().to_string();
    assert!(
        err.starts_with("snapshots: 1100000 snapshots x 1000 customers"),
        "{err}"
    );
    assert!(index.stages(&params_for_test(), None).is_err());
}

fn params_for_test() -> StageParams {
    StageParams {
        new_window: 20.0,
        maturity_window: 60.0,
        churn_window: None,
        at_risk_factor: 2.0,
        churn_factor: 4.0,
        median_ipt: 15.0,
        at_risk_p: 0.5,
        churn_p: 0.1,
        p_alive_for_one_time: false,
        enabled: [true; 7],
    }
}

#[test]
fn snapshots_must_increase() {
    let err = snapshot_summaries(&[0], 1, &[0], &[5, 5], Freq::Day, 1.0).unwrap_err();
    assert!(err.to_string().contains("snapshots: row 1"));
    assert!(snapshot_summaries(&[3], 1, &[0], &[5], Freq::Day, 1.0).is_err());
}

#[test]
fn fused_stages_with_a_model_equal_summaries_then_p_alive_then_rules() {
    use crate::btyd::mbgnbd::MbgNbd;
    use crate::btyd::predict::CountModel;

    let mut st = 23u64;
    let n = 2000;
    let codes: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 97) as i64).collect();
    let times: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 700) as i64 * DAY).collect();
    let snaps: Vec<i64> = (1..8).map(|k| k * 100 * DAY).collect();
    let index = SnapshotIndex::build(&codes, 100, &times, &snaps, Freq::Day, 1.0).unwrap();
    let rows = index.summaries().unwrap();
    // CDNOW-like MBG/NBD parameters in days: P(alive) spans the thresholds
    let params = [0.5, 60.0, 0.9, 3.0];
    let pa: Vec<f64> = (0..rows.t.len())
        .map(|i| MbgNbd.p_alive(&params, rows.frequency[i], rows.recency[i], rows.t[i]))
        .collect();
    let mut rules = params_for_test();
    rules.p_alive_for_one_time = true;
    let inputs = crate::stages::StageInputs {
        repeats: &rows.frequency,
        recency: &rows.recency,
        t: &rows.t,
        gap_before_last: &rows.gap_before_last,
        p_alive: Some(&pa),
        custom: None,
    };
    let (stage, reason) = crate::stages::assign_stages(&inputs, &rules).unwrap();
    let model = |x: f64, tx: f64, t: f64| MbgNbd.p_alive(&params, x, tx, t);
    let fused = index.stages(&rules, Some(&model)).unwrap();
    assert_eq!(fused.p_alive, pa);
    assert_eq!(fused.stage, stage);
    assert_eq!(fused.reason, reason);
    assert_eq!(fused.customer, rows.customer);
    // the P(alive) rules fired: some rows are at risk or churned by P(alive)
    let by_p = reason.iter().filter(|&&r| r == 1 || r == 3).count();
    assert!(by_p > 0, "no row decided by P(alive)");
    // a model giving values outside [0, 1] is refused, naming the row
    let broken = |_: f64, _: f64, _: f64| f64::NAN;
    let err = index.stages(&rules, Some(&broken)).unwrap_err().to_string();
    assert!(
        err.contains("model.p_alive(...)") && err.contains("row 0"),
        "{err}"
    );
}
