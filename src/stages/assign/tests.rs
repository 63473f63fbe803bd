use super::*;

const R_CHURN_P: i32 = 1;
const R_CHURN_INACTIVE: i32 = 2;
const R_RISK_P: i32 = 3;
const R_RISK_OWN: i32 = 4;
const R_RISK_MEDIAN: i32 = 5;
const R_REACTIVATED: i32 = 6;
const R_NEW_WINDOW: i32 = 7;
const R_NEW_SINGLE: i32 = 8;
const R_GROWING: i32 = 9;
const R_MATURE: i32 = 10;

fn params() -> StageParams {
    StageParams {
        new_window: 30.0,
        maturity_window: 180.0,
        churn_window: Some(120.0),
        at_risk_factor: 2.0,
        churn_factor: 100f64.ln(),
        median_ipt: 20.0,
        at_risk_p: 0.5,
        churn_p: 0.1,
        p_alive_for_one_time: false,
        enabled: [true; 7],
    }
}

/// (repeats, recency, T, gap) -> (stage, reason) without P(alive).
fn one(repeats: f64, recency: f64, t: f64, gap: f64) -> (i32, i32) {
    let x = StageInputs {
        repeats: &[repeats],
        recency: &[recency],
        t: &[t],
        gap_before_last: &[gap],
        p_alive: None,
        custom: None,
    };
    let (s, r) = assign_stages(&x, &params()).unwrap();
    (s[0], r[0])
}

#[test]
fn each_rule_fires() {
    assert_eq!(one(0.0, 0.0, f64::NAN, f64::NAN), (PROSPECT, R_PROSPECT));
    assert_eq!(one(0.0, 0.0, 10.0, f64::NAN), (NEW, R_NEW_WINDOW));
    assert_eq!(one(0.0, 0.0, 35.0, f64::NAN), (NEW, R_NEW_SINGLE));
    assert_eq!(one(0.0, 0.0, 41.0, f64::NAN), (AT_RISK, R_RISK_MEDIAN));
    assert_eq!(one(4.0, 100.0, 110.0, 25.0), (GROWING, R_GROWING));
    assert_eq!(one(9.0, 190.0, 200.0, 20.0), (MATURE, R_MATURE));
    assert_eq!(one(4.0, 100.0, 160.0, 25.0), (AT_RISK, R_RISK_OWN));
    assert_eq!(one(4.0, 100.0, 230.0, 25.0), (CHURNED, R_CHURN_INACTIVE));
    assert_eq!(one(1.0, 150.0, 160.0, 150.0), (REACTIVATED, R_REACTIVATED));
}

#[test]
fn reason_table_matches_names() {
    for (reason, &stage) in STAGE_OF_REASON.iter().enumerate() {
        let name = if stage == UNASSIGNED {
            "unassigned"
        } else {
            STAGE_NAMES[stage as usize]
        };
        assert!(
            REASON_NAMES[reason].starts_with(&format!("{name}:")),
            "{}",
            REASON_NAMES[reason]
        );
    }
}

#[test]
fn p_alive_rules_and_precedence() {
    let x = StageInputs {
        repeats: &[3.0, 3.0, 3.0, 0.0, 3.0],
        recency: &[50.0, 50.0, 50.0, 0.0, 50.0],
        t: &[60.0, 60.0, 60.0, 300.0, 200.0],
        gap_before_last: &[200.0, 200.0, 200.0, f64::NAN, 10.0],
        p_alive: Some(&[0.05, 0.3, 0.9, 1.0, 0.05]),
        custom: None,
    };
    let (s, r) = assign_stages(&x, &params()).unwrap();
    // Row 0: the model says gone but 10 days of silence is within the churn window (120):
    // at risk, not churned. Row 4: both witnesses agree (150 days > 120).
    assert_eq!(s, vec![AT_RISK, AT_RISK, REACTIVATED, CHURNED, CHURNED]);
    assert_eq!(
        r,
        vec![
            R_RISK_P,
            R_RISK_P,
            R_REACTIVATED,
            R_CHURN_INACTIVE,
            R_CHURN_P
        ]
    );
}

#[test]
fn dropped_stages_fall_through_and_custom_rules_win() {
    let mut p = params();
    p.enabled[AT_RISK as usize] = false;
    let x = StageInputs {
        repeats: &[4.0, 4.0],
        recency: &[100.0, 100.0],
        t: &[160.0, 160.0],
        gap_before_last: &[25.0, 25.0],
        p_alive: None,
        custom: Some(&[-1, 0]),
    };
    let (s, r) = assign_stages(&x, &p).unwrap();
    assert_eq!(s, vec![GROWING, STAGE_NAMES.len() as i32]);
    assert_eq!(r[1], REASON_NAMES.len() as i32);
}

#[test]
fn per_customer_windows_follow_the_expected_gap() {
    let mut p = params();
    p.churn_window = None;
    p.at_risk_factor = 10f64.ln();
    // 9 repeats over 90 days with g0 = 20: expected gap (90 + 20) / 10 = 11 days.
    let row = Row {
        repeats: 9.0,
        recency: 90.0,
        t: 200.0,
        gap_before_last: 10.0,
        p_alive: None,
        custom: -1,
    };
    let w = Windows::of(&row, &p);
    assert!((w.expected_gap - 11.0).abs() < 1e-12);
    assert!((w.at_risk - 11.0 * 10f64.ln()).abs() < 1e-12);
    assert!((w.churn - 11.0 * 100f64.ln()).abs() < 1e-12);
    // Silence of 55 days: beyond the churn window (50.7), so churned.
    let quiet = Row { t: 145.0, ..row };
    assert_eq!(classify(&quiet, &p).0, CHURNED);
    // The same history stretched 52-fold (weekly -> yearly units) gives the same stage.
    let mut yearly = p.clone();
    yearly.median_ipt *= 52.0;
    yearly.new_window *= 52.0;
    yearly.maturity_window *= 52.0;
    for t in [95.0, 120.0, 145.0, 250.0] {
        let r = Row { t, ..row };
        let stretched = Row {
            recency: r.recency * 52.0,
            t: t * 52.0,
            gap_before_last: r.gap_before_last * 52.0,
            ..r
        };
        assert_eq!(classify(&r, &p), classify(&stretched, &yearly), "t = {t}");
    }
    // Floors: a same-day burst still needs 2 g0 of silence to churn.
    let burst = Row {
        repeats: 50.0,
        recency: 1.0,
        t: 30.0,
        gap_before_last: 0.0,
        p_alive: None,
        custom: -1,
    };
    assert_eq!(Windows::of(&burst, &p).churn, 40.0);
    assert_eq!(classify(&burst, &p).0, AT_RISK);
}

#[test]
fn negative_gap_before_last_is_rejected_naming_the_row() {
    let x = StageInputs {
        repeats: &[1.0, 1.0],
        recency: &[10.0, 10.0],
        t: &[20.0, 20.0],
        gap_before_last: &[10.0, -3.0],
        p_alive: None,
        custom: None,
    };
    let err = assign_stages(&x, &params()).unwrap_err().to_string();
    assert!(
        err.starts_with("gap_before_last: row 1 has invalid value -3"),
        "{err}"
    );
}

#[test]
fn bad_thresholds_and_values_are_errors() {
    let mut p = params();
    p.at_risk_p = 0.05;
    let x = StageInputs {
        repeats: &[0.0],
        recency: &[0.0],
        t: &[1.0],
        gap_before_last: &[f64::NAN],
        p_alive: None,
        custom: None,
    };
    assert!(assign_stages(&x, &p)
        .unwrap_err()
        .to_string()
        .contains("churn_p"));
    let mut p = params();
    p.new_window = 500.0;
    assert!(assign_stages(&x, &p)
        .unwrap_err()
        .to_string()
        .contains("windows must increase"));
    let x = StageInputs {
        repeats: &[0.0],
        recency: &[2.0],
        t: &[1.0],
        gap_before_last: &[f64::NAN],
        p_alive: None,
        custom: None,
    };
    assert!(assign_stages(&x, &params())
        .unwrap_err()
        .to_string()
        .contains("recency: row 0"));
}
