//! `schedule`: `on.schedule` entries: five-field cron syntax (ranges, steps, lists, month and
//! weekday names), runs more often than GitHub allows, and IANA time zones.

use std::str::FromStr;

use crate::lint::schema::{self, T, check};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;

/// The `schedule` rule: Cron expressions and time zones of scheduled triggers.
pub struct Schedule;

static META: RuleMeta = RuleMeta {
    id: "schedule",
    zizmor: None,
    actionlint: Some("events"),
    summary: "Cron expressions and time zones of scheduled triggers",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// (name, min, max, names, first name's value)
const FIELDS: [(&str, u32, u32, &[&str], u32); 5] = [
    ("minute", 0, 59, &[], 0),
    ("hour", 0, 23, &[], 0),
    ("day of month", 1, 31, &[], 0),
    ("month", 1, 12, MONTHS, 1),
    ("day of week", 0, 6, DAYS, 0),
];

/// Parses a cron expression into the set of values each field matches, or says what is wrong.
pub fn parse_cron(expr: &str) -> Result<[Vec<u32>; 5], String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let mut out: [Vec<u32>; 5] = Default::default();
    for (i, f) in fields.iter().enumerate() {
        out[i] = parse_field(f, FIELDS[i])?;
    }
    Ok(out)
}

fn value(
    s: &str,
    (name, min, max, names, base): (&str, u32, u32, &[&str], u32),
) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + base);
    }
    let v: u32 = s
        .parse()
        .map_err(|_| format!("invalid value {s:?} in {name} field"))?;
    if v < min || v > max {
        return Err(format!(
            "value {v} is out of range {min}-{max} in {name} field"
        ));
    }
    Ok(v)
}

fn parse_field(field: &str, def: (&str, u32, u32, &[&str], u32)) -> Result<Vec<u32>, String> {
    let (name, min, max, _, _) = def;
    let mut set = Vec::new();
    for item in field.split(',') {
        if item.is_empty() {
            return Err(format!("empty item in {name} field"));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let st: u32 = s
                    .parse()
                    .map_err(|_| format!("invalid step {s:?} in {name} field"))?;
                if st == 0 {
                    return Err(format!("step must be greater than zero in {name} field"));
                }
                (r, st)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, def)?, value(b, def)?);
            if a > b {
                return Err(format!("range {a}-{b} is reversed in {name} field"));
            }
            (a, b)
        } else {
            let a = value(range, def)?;
            (a, if item.contains('/') { max } else { a })
        };
        set.extend((lo..=hi).step_by(step as usize));
    }
    set.sort_unstable();
    set.dedup();
    Ok(set)
}

/// The shortest gap between two runs, in minutes, judged from the minute and hour fields.
fn shortest_interval(parsed: &[Vec<u32>; 5]) -> u32 {
    let minutes = &parsed[0];
    let hours = &parsed[1];
    if minutes.len() > 1 {
        let mut gap = 60 - minutes[minutes.len() - 1] + minutes[0];
        for w in minutes.windows(2) {
            gap = gap.min(w[1] - w[0]);
        }
        gap
    } else if hours.len() > 1 {
        60
    } else {
        u32::MAX
    }
}

impl Rule for Schedule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let Some(items) = wf
            .event("schedule")
            .and_then(|e| e.config)
            .and_then(|c| c.as_seq())
        else {
            return;
        };
        for item in items {
            let Some(entries) = item.as_map() else {
                cx.report(
                    item.span,
                    format!(
                        "element of \"schedule\" section must be mapping but got {}",
                        schema::describe(item)
                    ),
                );
                continue;
            };
            for (k, v) in entries {
                match k.as_str().unwrap_or("") {
                    "cron" => {
                        check(cx, "cron", Some(k), v, T::NonEmptyStr);
                        let Some(expr) = v.as_str().filter(|s| !s.is_empty()) else {
                            continue;
                        };
                        // GitHub's own parser refuses white space around the five fields (a
                        // block scalar's line break), though such schedules are seen running.
                        if expr.trim() != expr {
                            cx.report_with(
                                Severity::Warning,
                                v.span,
                                format!("cron {expr:?} has white space around it, which GitHub's workflow parser refuses"),
                                Some("write the cron on one line as a plain or quoted string".into()),
                            );
                        }
                        match parse_cron(expr) {
                            Err(e) => cx.report(
                                v.span,
                                format!("invalid CRON format {expr:?} in schedule event: {e}"),
                            ),
                            Ok(p) => {
                                let gap = shortest_interval(&p);
                                if gap < 5 {
                                    cx.report_with(
                                        Severity::Warning,
                                        v.span,
                                        format!(
                                            "scheduled job runs too frequently. it runs once per {} seconds. the shortest interval is once every 5 minutes",
                                            gap * 60
                                        ),
                                        Some("GitHub runs scheduled workflows at most every 5 minutes".into()),
                                    );
                                }
                            }
                        }
                    }
                    "timezone" => {
                        check(cx, "timezone", Some(k), v, T::NonEmptyStr);
                        let Some(tz) = v.as_str().filter(|s| !s.is_empty()) else {
                            continue;
                        };
                        if !valid_timezone(tz) {
                            cx.report(v.span, format!("invalid timezone {tz:?} in schedule event. it must be a valid IANA timezone name"));
                        }
                    }
                    _ => schema::unexpected_key(
                        cx,
                        k,
                        "\"schedule\" section",
                        ["cron", "timezone"].into_iter(),
                    ),
                }
            }
            if item.get("cron").is_none() {
                cx.report(item.span, "\"cron\" is missing in \"schedule\" section");
            }
        }
    }
}

/// An IANA zone name such as `Europe/Berlin`. `local` is not one; `UTC` and `Etc/UTC` are.
pub fn valid_timezone(tz: &str) -> bool {
    !tz.eq_ignore_ascii_case("local") && chrono_tz::Tz::from_str(tz).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_fields() {
        assert!(parse_cron("0 */3 * * *").is_ok());
        assert!(parse_cron("30 5 * * 1-5").is_ok());
        assert!(parse_cron("0 0 1 JAN,jul MON-FRI").is_ok());
        assert!(parse_cron("0 */3 * *").is_err());
        assert!(parse_cron("60 * * * *").is_err());
        assert!(parse_cron("0 0 0 * *").is_err());
        assert!(parse_cron("5-1 * * * *").is_err());
        assert!(parse_cron("*/0 * * * *").is_err());
    }

    #[test]
    fn intervals() {
        let p = parse_cron("* */3 * * *").expect("cron");
        assert_eq!(shortest_interval(&p), 1);
        let p = parse_cron("*/5 * * * *").expect("cron");
        assert_eq!(shortest_interval(&p), 5);
        let p = parse_cron("0,2 * * * *").expect("cron");
        assert_eq!(shortest_interval(&p), 2);
    }

    #[test]
    fn timezones() {
        assert!(valid_timezone("America/New_York"));
        assert!(!valid_timezone("Asia/Somewhere"));
        assert!(!valid_timezone("local"));
    }
}
