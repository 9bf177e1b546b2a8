//! Tax extraction from gross amounts, in integer minor units.
//!
//! Amounts at checkout are gross. For a rate `r` in basis points:
//! `net = round(gross × 10000 / (10000 + r))`, `tax = gross − net`.
//!
//! Rounding rule: **half up** (a remainder of exactly one half rounds away
//! from zero), the commercial rounding EU tax authorities expect on
//! invoices. It is applied once per line item, and every total is the sum
//! of its lines, so lines always add up to the totals exactly, and gross
//! totals always equal the amount charged. Arithmetic is in `i128`, so any
//! `i64` amount at any rate up to 100 % is exact.

use serde::{Deserialize, Serialize};

/// Highest accepted rate: 100 %.
pub const MAX_RATE_BPS: u32 = 10_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Split {
    pub gross: i64,
    pub net: i64,
    pub tax: i64,
}

/// `numerator / denominator` rounded half away from zero; `denominator` > 0.
fn divide_half_up(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator { quotient + numerator.signum() } else { quotient }
}

/// Splits a gross amount at `rate_bps`.
pub fn extract(gross: i64, rate_bps: u32) -> Split {
    let rate = i128::from(rate_bps.min(MAX_RATE_BPS));
    let net = divide_half_up(i128::from(gross) * 10_000, 10_000 + rate);
    // |net| ≤ |gross|, so the cast back cannot overflow.
    let net = net as i64;
    Split { gross, net, tax: gross - net }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxedLine {
    pub description: String,
    pub quantity: i64,
    /// Gross unit price.
    pub unit_amount: i64,
    pub rate_bps: u32,
    #[serde(flatten)]
    pub split: Split,
}

/// One rate's share of a document: what a VAT summary table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateTotal {
    pub rate_bps: u32,
    #[serde(flatten)]
    pub split: Split,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxedDocument {
    pub lines: Vec<TaxedLine>,
    pub by_rate: Vec<RateTotal>,
    pub total: Split,
}

/// Taxes each line (gross = quantity × unit) and sums the lines.
/// `None` when a line total or the sum overflows `i64`.
pub fn tax_lines(lines: &[(String, i64, i64)], rate_bps: u32) -> Option<TaxedDocument> {
    let mut taxed = Vec::with_capacity(lines.len());
    let mut total = Split { gross: 0, net: 0, tax: 0 };
    for (description, quantity, unit_amount) in lines {
        let gross = quantity.checked_mul(*unit_amount)?;
        let split = extract(gross, rate_bps);
        total = Split {
            gross: total.gross.checked_add(split.gross)?,
            net: total.net.checked_add(split.net)?,
            tax: total.tax.checked_add(split.tax)?,
        };
        taxed.push(TaxedLine {
            description: description.clone(),
            quantity: *quantity,
            unit_amount: *unit_amount,
            rate_bps,
            split,
        });
    }
    let by_rate = if taxed.is_empty() { Vec::new() } else { vec![RateTotal { rate_bps, split: total }] };
    Some(TaxedDocument { lines: taxed, by_rate, total })
}

/// A document of already taxed lines: one total per rate (in the order
/// the rates first appear) and the grand total, each the sum of its lines.
pub fn summarise(lines: Vec<TaxedLine>) -> TaxedDocument {
    let mut by_rate: Vec<RateTotal> = Vec::new();
    let mut total = Split::default();
    for line in &lines {
        total = total.plus(line.split);
        match by_rate.iter_mut().find(|r| r.rate_bps == line.rate_bps) {
            Some(rate) => rate.split = rate.split.plus(line.split),
            None => by_rate.push(RateTotal { rate_bps: line.rate_bps, split: line.split }),
        }
    }
    TaxedDocument { lines, by_rate, total }
}

/// How much of an invoice's rate has been credited so far, and what one
/// more refund credits.
///
/// Rounding rule for refunds (credit notes), chosen so that the credit
/// notes of a fully refunded invoice add up exactly to the invoice — net,
/// tax and gross, per rate — however the refunds were cut:
///
/// 1. **Gross per rate.** A refund's gross is split over the invoice's
///    rates in proportion to what is still uncredited at each rate:
///    `floor(amount × uncredited_r / uncredited)`, and the few minor units
///    left by the floors go one each to the rates with the largest
///    remainders (earlier rates first on a tie). A refund of everything
///    still uncredited takes exactly each rate's uncredited gross.
/// 2. **Tax per rate, cumulatively.** After this refund, `credited_r` of
///    the rate's gross `G_r` is credited; the tax credited so far must be
///    `round_half_up(T_r × credited_r / G_r)`, where `T_r` is the
///    invoice's tax at that rate. This credit note's tax at the rate is
///    that figure minus the tax already credited at the rate, and its net
///    is its gross minus its tax. Once `credited_r = G_r` the tax credited
///    is exactly `T_r`, and every step is ≥ 0.
///
/// `invoice` is the invoice's per-rate totals; `credited` what earlier
/// credit notes took at the same rates (same order). `None` when `amount`
/// is not positive or exceeds what is uncredited.
pub fn allocate_credit(invoice: &[RateTotal], credited: &[Split], amount: i64) -> Option<Vec<RateTotal>> {
    if invoice.len() != credited.len() || amount <= 0 {
        return None;
    }
    let uncredited: Vec<i128> =
        invoice.iter().zip(credited).map(|(r, c)| i128::from(r.split.gross) - i128::from(c.gross)).collect();
    if uncredited.iter().any(|u| *u < 0) {
        return None;
    }
    let total: i128 = uncredited.iter().sum();
    let amount_wide = i128::from(amount);
    if amount_wide > total {
        return None;
    }
    let mut shares: Vec<i128> = uncredited.iter().map(|u| amount_wide * u / total).collect();
    let mut leftover = amount_wide - shares.iter().sum::<i128>();
    let mut by_remainder: Vec<(i128, usize)> =
        uncredited.iter().enumerate().map(|(i, u)| (amount_wide * u % total, i)).collect();
    // Largest remainder first; the stable sort keeps earlier rates first
    // on a tie.
    by_remainder.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    for (remainder, i) in by_remainder {
        if leftover == 0 {
            break;
        }
        if remainder > 0 {
            shares[i] += 1;
            leftover -= 1;
        }
    }
    let mut out = Vec::with_capacity(invoice.len());
    for ((rate, already), share) in invoice.iter().zip(credited).zip(shares) {
        let share = i64::try_from(share).ok()?;
        let credited_after = already.gross.checked_add(share)?;
        let tax_after = if rate.split.gross == 0 {
            0
        } else {
            i64::try_from(divide_half_up(
                i128::from(rate.split.tax) * i128::from(credited_after),
                i128::from(rate.split.gross),
            ))
            .ok()?
        };
        let tax = tax_after - already.tax;
        out.push(RateTotal { rate_bps: rate.rate_bps, split: Split { gross: share, net: share - tax, tax } });
    }
    Some(out)
}

impl Split {
    /// Component-wise sum. Callers add parts of one document whose total
    /// fits `i64` (checked when it was taxed), so this cannot overflow.
    pub fn plus(self, other: Split) -> Split {
        Split { gross: self.gross + other.gross, net: self.net + other.net, tax: self.tax + other.tax }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        // 119.00 EUR at 19 %: 100.00 net, 19.00 tax.
        assert_eq!(extract(11900, 1900), Split { gross: 11900, net: 10000, tax: 1900 });
        // 0 %: all net.
        assert_eq!(extract(12345, 0), Split { gross: 12345, net: 12345, tax: 0 });
        // FI 25.5 %: 1000 / 1.255 = 796.81… → 797.
        assert_eq!(extract(1000, 2550), Split { gross: 1000, net: 797, tax: 203 });
        // 7 %: 107 / 1.07 = 100 exactly.
        assert_eq!(extract(107, 700), Split { gross: 107, net: 100, tax: 7 });
    }

    #[test]
    fn smallest_amounts_and_half_up() {
        // 1 minor unit: 1 / 1.19 = 0.84 → 1; 1 / 1.07 = 0.93 → 1.
        assert_eq!(extract(1, 1900).net, 1);
        assert_eq!(extract(1, 700).net, 1);
        // An exact half rounds up: 3 / 2 = 1.5 → 2 (rate 100 %).
        assert_eq!(extract(3, 10_000), Split { gross: 3, net: 2, tax: 1 });
        // 1 JPY (exponent 0), 1 fils (BHD, exponent 3): same rule in minor units.
        assert_eq!(extract(1, 2550).tax, 0);
        // Negative amounts (credits) mirror positive ones.
        assert_eq!(extract(-11900, 1900), Split { gross: -11900, net: -10000, tax: -1900 });
        assert_eq!(extract(-3, 10_000).net, -2);
    }

    #[test]
    fn i64_scale_is_exact() {
        for rate in [0, 700, 1900, 2550, 10_000] {
            let split = extract(i64::MAX, rate);
            assert_eq!(split.net + split.tax, i64::MAX);
            let exact = i128::from(i64::MAX) * 10_000;
            let net = i128::from(split.net) * i128::from(10_000 + rate);
            assert!((exact - net).abs() * 2 <= i128::from(10_000 + rate), "rate {rate}: within half a unit");
        }
        assert_eq!(extract(i64::MAX, 0).net, i64::MAX);
    }

    #[test]
    fn currencies_of_every_exponent() {
        // JPY 0: ¥1,070 at 7 %. EUR 2: €1,190.00 at 19 %. BHD 3: 11.275 at 25.5 %.
        assert_eq!(extract(1070, 700), Split { gross: 1070, net: 1000, tax: 70 });
        assert_eq!(extract(119_000, 1900), Split { gross: 119_000, net: 100_000, tax: 19_000 });
        assert_eq!(extract(11_275, 2550), Split { gross: 11_275, net: 8984, tax: 2291 });
    }

    fn rate(rate_bps: u32, gross: i64) -> RateTotal {
        RateTotal { rate_bps, split: extract(gross, rate_bps) }
    }

    /// Credits `refunds` one after another, checking every credit note,
    /// and returns the sum credited per rate.
    fn credit_all(invoice: &[RateTotal], refunds: impl IntoIterator<Item = i64>) -> Vec<Split> {
        let mut credited = vec![Split::default(); invoice.len()];
        for amount in refunds {
            let note = allocate_credit(invoice, &credited, amount).expect("allocatable");
            assert_eq!(note.iter().map(|r| r.split.gross).sum::<i64>(), amount, "a note's gross is its refund");
            for (sum, part) in credited.iter_mut().zip(&note) {
                assert!(part.split.gross >= 0 && part.split.tax >= 0 && part.split.net >= 0, "{part:?}");
                assert_eq!(part.split.net + part.split.tax, part.split.gross);
                *sum = sum.plus(part.split);
            }
        }
        credited
    }

    fn assert_fully_credited(invoice: &[RateTotal], credited: &[Split]) {
        for (rate, sum) in invoice.iter().zip(credited) {
            assert_eq!(*sum, rate.split, "rate {}", rate.rate_bps);
        }
    }

    #[test]
    fn one_minor_unit_refunds_add_up_to_the_invoice() {
        // EUR (exponent 2), JPY (0), BHD (3): the rule is in minor units.
        for (gross, rate_bps) in [(119, 1900), (11_900, 1900), (1_070, 1000), (11_275, 2550), (1, 1900), (3, 10_000)] {
            let invoice = vec![rate(rate_bps, gross)];
            let credited = credit_all(&invoice, std::iter::repeat_n(1, gross as usize));
            assert_fully_credited(&invoice, &credited);
        }
    }

    #[test]
    fn multi_rate_invoices_are_credited_per_rate() {
        let invoice = vec![rate(1900, 11_900), rate(700, 10_700), rate(0, 999), rate(2550, 1)];
        let total: i64 = invoice.iter().map(|r| r.split.gross).sum();
        // Tiny refunds.
        assert_fully_credited(&invoice, &credit_all(&invoice, std::iter::repeat_n(1, total as usize)));
        // Uneven cuts, the last one being the rest.
        let cuts = [7, 3_333, 1, 10_000, 2];
        let rest = total - cuts.iter().sum::<i64>();
        assert_fully_credited(&invoice, &credit_all(&invoice, cuts.into_iter().chain([rest])));
        // One refund of everything credits exactly the invoice.
        let whole = allocate_credit(&invoice, &[Split::default(); 4], total).expect("whole");
        assert_eq!(whole, invoice);
        // A half refund splits in proportion.
        let half = allocate_credit(&invoice, &[Split::default(); 4], total / 2).expect("half");
        assert_eq!(half[0].split.gross, 5_950);
        assert_eq!(half[0].split.tax, 950);
    }

    #[test]
    fn credits_beyond_the_invoice_are_refused() {
        let invoice = vec![rate(1900, 100)];
        assert!(allocate_credit(&invoice, &[Split::default()], 101).is_none());
        assert!(allocate_credit(&invoice, &[Split::default()], 0).is_none());
        let credited = credit_all(&invoice, [60]);
        assert!(allocate_credit(&invoice, &credited, 41).is_none());
        assert!(allocate_credit(&invoice, &credited, 40).is_some());
    }

    #[test]
    fn lines_add_up_to_the_total_exactly() {
        // Three lines whose per-line rounding differs from rounding the sum.
        let lines = vec![("a".to_owned(), 3, 333), ("b".to_owned(), 1, 1), ("c".to_owned(), 7, 1999)];
        for rate in [0, 700, 1900, 2550] {
            let doc = tax_lines(&lines, rate).expect("no overflow");
            let sum = |f: fn(&Split) -> i64| doc.lines.iter().map(|l| f(&l.split)).sum::<i64>();
            assert_eq!(doc.total.gross, 3 * 333 + 1 + 7 * 1999);
            assert_eq!(doc.total.gross, sum(|s| s.gross));
            assert_eq!(doc.total.net, sum(|s| s.net));
            assert_eq!(doc.total.tax, sum(|s| s.tax));
            assert_eq!(doc.total.net + doc.total.tax, doc.total.gross);
            assert_eq!(doc.by_rate, vec![RateTotal { rate_bps: rate, split: doc.total }]);
        }
        assert!(tax_lines(&[("x".to_owned(), 2, i64::MAX)], 1900).is_none(), "overflow is refused");
    }
}
