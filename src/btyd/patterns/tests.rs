use super::*;

use crate::numeric::sort::f64_key;

/// The straightforward grouping: stable sort of the rows by their values, then runs.
fn by_sorting(columns: &[&[f64]], weights: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    let mut items: Vec<(Vec<u64>, f64)> = (0..columns[0].len())
        .map(|i| {
            (
                columns.iter().map(|c| f64_key(c[i])).collect(),
                weights.map_or(1.0, |w| w[i]),
            )
        })
        .filter(|item| item.1 != 0.0)
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut rows, mut out_w): (Vec<f64>, Vec<f64>) = (vec![], vec![]);
    for (i, (key, w)) in items.iter().enumerate() {
        if i > 0 && items[i - 1].0 == *key {
            *out_w.last_mut().unwrap() += w;
        } else {
            rows.extend(
                key.iter()
                    .map(|&b| f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })),
            );
            out_w.push(*w);
        }
    }
    (rows, out_w)
}

fn check_against_sorting(columns: &[&[f64]], weights: Option<&[f64]>) {
    let p = Patterns::compress(&["a", "b", "c", "d"][..columns.len()], columns, weights).unwrap();
    let (rows, w) = by_sorting(columns, weights);
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&p.rows), bits(&rows));
    assert_eq!(bits(&p.weights), bits(&w));
    for i in 0..p.len() {
        for c in 0..p.k {
            assert_eq!(
                p.levels[c][p.codes[i * p.k + c] as usize].to_bits(),
                p.rows[i * p.k + c].to_bits()
            );
        }
    }
    for l in &p.levels {
        assert!(l.windows(2).all(|w| w[0] < w[1]));
    }
}

/// A small deterministic generator (tests only).
fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn grouping_matches_a_sort_of_the_rows() {
    let mut s = 7;
    let n = 5000;
    // Whole numbers (direct table), decimals and -0.0 (hashed), a huge range (hashed).
    let x: Vec<f64> = (0..n).map(|_| (lcg(&mut s) * 12.0).floor()).collect();
    let t: Vec<f64> = (0..n)
        .map(|_| ((lcg(&mut s) * 30.0).floor() / 7.0) * if lcg(&mut s) < 0.1 { -0.0 } else { 1.0 })
        .collect();
    let big: Vec<f64> = (0..n).map(|_| (lcg(&mut s) * 4.0).floor() * 1e12).collect();
    let w: Vec<f64> = (0..n)
        .map(|_| if lcg(&mut s) < 0.2 { 0.0 } else { lcg(&mut s) })
        .collect();
    check_against_sorting(&[&x, &t, &big], None);
    check_against_sorting(&[&x, &t, &big], Some(&w));
    check_against_sorting(&[&t], Some(&w));
    // Four columns of 70k distinct values each need more than 64 key bits; every row twice.
    let m = 70_000;
    let wide: Vec<Vec<f64>> = (0..4)
        .map(|_| {
            (0..m)
                .map(|_| (lcg(&mut s) * 1e9).floor())
                .collect::<Vec<f64>>()
                .repeat(2)
        })
        .collect();
    let w2: Vec<f64> = (0..2 * m).map(|_| lcg(&mut s)).collect();
    let cols: Vec<&[f64]> = wide.iter().map(|c| c.as_slice()).collect();
    check_against_sorting(&cols, Some(&w2));
    check_against_sorting(&cols, None);
    // 33 to 64 key bits with unit weights (u64 keys): non-integer and large-range values.
    let m = 6000;
    let frac: Vec<f64> = (0..m)
        .map(|_| (lcg(&mut s) * 3000.0).floor() / 3.0 + 0.25)
        .collect();
    let huge: Vec<f64> = (0..m)
        .map(|_| (lcg(&mut s) * 3000.0).floor() * 1e9 + 0.5)
        .collect();
    let days: Vec<f64> = (0..m).map(|_| (lcg(&mut s) * 2500.0).floor()).collect();
    check_against_sorting(&[&frac, &huge, &days], None);
    check_against_sorting(
        &[
            &frac[..3000].repeat(2),
            &huge[..3000].repeat(2),
            &days[..3000].repeat(2),
        ],
        None,
    );
}

#[test]
fn identical_rows_collapse_with_summed_weights() {
    let x = [1.0, 0.0, 1.0, 2.0, 0.0];
    let t = [5.0, 0.0, 5.0, 3.0, -0.0];
    let p = Patterns::compress(&["x", "t"], &[&x, &t], None).unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p.rows, vec![0.0, 0.0, 1.0, 5.0, 2.0, 3.0]);
    assert_eq!(p.weights, vec![2.0, 2.0, 1.0]);
    assert_eq!(p.total_weight(), 5.0);
    assert_eq!(p.levels, vec![vec![0.0, 1.0, 2.0], vec![0.0, 3.0, 5.0]]);
    assert_eq!(p.codes, vec![0, 0, 1, 2, 2, 1]);
    // A value seen only in a row of weight 0 is not a level.
    let p = Patterns::compress(&["x"], &[&[1.0, 7.0]], Some(&[1.0, 0.0])).unwrap();
    assert_eq!(p.levels, vec![vec![1.0]]);
}

#[test]
fn rescaling_in_place_is_undone_exactly_by_the_original_levels() {
    let t = [3.0, 7.5, 0.1, 7.5, 1e6 / 3.0];
    let x = [1.0, 2.0, 0.0, 2.0, 5.0];
    let p = Patterns::compress(&["x", "t"], &[&x, &t], None).unwrap();
    let mut q = p.clone();
    q.rescale_in_place(&[1], 7.3);
    for i in 0..p.len() {
        assert_eq!(
            q.rows[2 * i + 1].to_bits(),
            (p.rows[2 * i + 1] / 7.3).to_bits()
        );
        assert_eq!(q.rows[2 * i], p.rows[2 * i]);
    }
    assert_eq!(q.with_levels(p.levels.clone()), p);
}

#[test]
fn order_does_not_depend_on_input_order() {
    let a = Patterns::compress(
        &["x"],
        &[&[3.0, 1.0, 2.0, 1.0]],
        Some(&[1.0, 2.0, 0.5, 1.0]),
    )
    .unwrap();
    let b = Patterns::compress(
        &["x"],
        &[&[1.0, 2.0, 1.0, 3.0]],
        Some(&[1.0, 0.5, 2.0, 1.0]),
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.weights, vec![3.0, 0.5, 1.0]);
}

#[test]
fn bad_weights_and_lengths_are_errors() {
    assert!(Patterns::compress(&["x"], &[&[1.0]], Some(&[-1.0])).is_err());
    assert!(Patterns::compress(&["x", "t"], &[&[1.0], &[1.0, 2.0]], None).is_err());
    assert!(Patterns::compress(&["x"], &[&[f64::NAN]], None).is_err());
}
