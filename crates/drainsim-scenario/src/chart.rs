//! `drainsim run FILE --svg OUT.svg`: a timeline of the run as an SVG chart (plotters' SVG backend).
//!
//! Top: one panel per service (up to [`MAX_SERVICE_PANELS`]: those that stalled or fell below their
//! floor first, then the largest by desired count) with its running,
//! healthy and pending tasks over simulated time, its tasks not STOPPED (what the ceiling bounds),
//! its floor and ceiling as dashed lines, and a
//! vertical mark at each drain start (one per column of the chart). Bottom: one lane per drained
//! instance, and per instance that went away with tasks on it (up to [`MAX_LANES`]): from its
//! drain's start — light blue while tasks still run on it, yellow while the last ones stop — to its
//! completion (a black mark), or to the instant it went away with tasks still on it (a red mark,
//! with how many ECS orphaned: a forced deregistration, EC2 terminating a Spot Instance or a group
//! terminating one undrained); past that many instances, one panel counts instances draining,
//! drained and gone with tasks over time instead, so a 20,000-instance run stays readable.
//! Between them, one panel per capacity provider with managed scaling (up to
//! [`MAX_SCALING_PANELS`]): its group's running instances (N), the instances its tasks need (M)
//! and its desired capacity, datapoint by datapoint.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::outcome::RunOutcome;

/// The most service panels a chart draws.
pub const MAX_SERVICE_PANELS: usize = 6;
/// The most services the title names of those without a panel.
const OMITTED_NAMES: usize = 4;
/// The most drained instances drawn as lanes of their own.
pub const MAX_LANES: usize = 40;
/// The most capacity providers whose managed scaling gets a panel.
pub const MAX_SCALING_PANELS: usize = 3;

const WIDTH: u32 = 1200;
const SERVICE_PANEL: u32 = 190;
const LANE: u32 = 24;
const RUNNING: RGBColor = RGBColor(31, 119, 180);
const HEALTHY: RGBColor = RGBColor(44, 160, 44);
const PENDING: RGBColor = RGBColor(255, 127, 14);
const BOUND: RGBColor = RGBColor(120, 120, 120);
/// Tasks not STOPPED: what the ceiling bounds.
const NOT_STOPPED: RGBColor = RGBColor(148, 103, 189);
/// A lane's stretch while tasks still run on the instance: the service panels' running tasks, lighter.
const LANE_RUNNING: RGBColor = RGBColor(158, 202, 225);
const STOPPING: RGBColor = RGBColor(240, 220, 80);
/// The aggregate panel's instances draining.
const DRAINING: RGBColor = RGBColor(140, 86, 75);
/// An instance that went away with tasks on it.
const ORPHANED: RGBColor = RGBColor(214, 39, 40);

/// An instance the chart gives a lane: one that drained, or went away with tasks on it.
struct Lane {
    name: String,
    /// Its drain: when it started, when no task ran any more, when the last one stopped.
    drain: Option<(u64, Option<u64>, Option<u64>)>,
    /// When it went away with tasks on it, and how many ECS orphaned then.
    gone: Option<(u64, usize)>,
    /// When its drain was cancelled (set ACTIVE again before it completed).
    cancelled: Option<u64>,
    /// Its drain is still open at the end of the run (the instance still DRAINING).
    open: bool,
}

/// The time axis every panel shares: simulated minutes, or hours for a run longer than six hours
/// (a multi-day run in minutes reads 3000, 6000, …), from 0 to a little past the run's end, and
/// the width of the labels left of every panel (`y_label_area`), so that an instant sits at one
/// horizontal position in all of them.
#[derive(Debug, Clone, Copy)]
struct TimeAxis {
    ms_per_unit: f64,
    unit: &'static str,
    end_ms: u64,
    x_max: f64,
    y_label_area: u32,
}

/// The height of the time axis's labels under a panel: its ticks, and below them its unit (24
/// pixels drew the unit over the tick nearest the middle).
const X_LABELS: u32 = 36;
/// The width of the labels left of a panel of counts.
const COUNT_LABELS: u32 = 44;
/// The width of the labels left of the drained instances' lanes: their names.
const NAME_LABELS: u32 = 160;

impl TimeAxis {
    fn of_run(end_ms: u64, y_label_area: u32) -> TimeAxis {
        let (ms_per_unit, unit) = if end_ms > 6 * 3_600_000 { (3_600_000.0, "hours") } else { (60_000.0, "minutes") };
        TimeAxis { ms_per_unit, unit, end_ms, x_max: end_ms as f64 / ms_per_unit * 1.02, y_label_area }
    }

    /// Where a simulated instant sits on the axis.
    fn at(self, ms: u64) -> f64 {
        ms as f64 / self.ms_per_unit
    }
}

/// Draws the run as an SVG document.
pub fn render_svg(outcome: &RunOutcome) -> Result<String, String> {
    let e = &outcome.engine;
    let end_ms = e.now_ms().max(1);
    let mut services: Vec<_> = e.services().collect();
    // The services a drain troubled first (a floor breach or a stall), then those whose task was
    // the last to stop on the most drained instances (what held the drains: a chart that left
    // out the service `explain` names for 30 of 40 drains, for six larger ones the drain never
    // touched, hid why it took as long), then the largest; ties in creation order. A small
    // service that breached its floor is not the one left out. A stall of the cluster settling at
    // start-up is no trouble ([`crate::outcome::StartupSettling`]).
    let settling = crate::outcome::StartupSettling::of(outcome);
    let troubled =
        |s: &drainsim_core::ServiceView| !s.floor_breaches().is_empty() || s.stalls().iter().any(|st| !settling.passes_by(s, st));
    let held = drains_held_last(e);
    services.sort_by_key(|s| {
        (
            std::cmp::Reverse(troubled(s)),
            std::cmp::Reverse(held.get(&s.id()).copied().unwrap_or(0)),
            std::cmp::Reverse(s.desired_count().max(s.max_tasks_observed().unwrap_or(0))),
        )
    });
    let omitted = services.len().saturating_sub(MAX_SERVICE_PANELS);
    let omitted_troubled = services.iter().skip(MAX_SERVICE_PANELS).filter(|s| troubled(s)).count();
    let omitted_names: Vec<&str> = services.iter().skip(MAX_SERVICE_PANELS).map(|s| s.name()).collect();
    let omitted_named = match omitted_names.len() {
        0 => String::new(),
        n if n <= OMITTED_NAMES => format!(" ({})", omitted_names.join(", ")),
        n => format!(" ({}, and {} more)", omitted_names[..OMITTED_NAMES].join(", "), n - OMITTED_NAMES),
    };
    services.truncate(MAX_SERVICE_PANELS);
    let instance_lanes = lanes_of(e);
    let lanes_drawn = !instance_lanes.is_empty() && instance_lanes.len() <= MAX_LANES;
    let axis = TimeAxis::of_run(end_ms, if lanes_drawn { NAME_LABELS } else { COUNT_LABELS });
    let x_max = axis.x_max;
    let start_marks = drain_start_marks(&instance_lanes, axis);
    let lanes_height = if instance_lanes.is_empty() {
        0
    } else if lanes_drawn {
        90 + LANE * instance_lanes.len() as u32
    } else {
        SERVICE_PANEL
    };
    let scaling: Vec<&crate::outcome::ManagedScalingOutcome> =
        outcome.managed_scaling.iter().filter(|m| !m.samples.is_empty()).take(MAX_SCALING_PANELS).collect();
    let scaling_height = SERVICE_PANEL * scaling.len() as u32;
    let height = 60 + SERVICE_PANEL * services.len().max(1) as u32 + scaling_height + lanes_height;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| format!("cannot draw the chart: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let title = format!(
            "{} (seed {}): {} simulated{}",
            outcome.scenario_name,
            outcome.seed,
            crate::timeline::duration_text(end_ms),
            match (omitted, omitted_troubled) {
                (0, _) => String::new(),
                (n, 0) => format!("; {n} more services not shown{omitted_named}, none of them stalled or fell below its floor"),
                (n, k) => format!("; {n} more services not shown{omitted_named}, {k} of them stalled or fell below their floor"),
            }
        );
        let (top, rest) = root.split_vertically(40);
        top.draw(&Text::new(title, (10, 12), ("sans-serif", 18).into_font())).map_err(err)?;
        let (panels, rest) = rest.split_vertically(SERVICE_PANEL * services.len().max(1) as u32);
        let (scaling_area, lanes) = rest.split_vertically(scaling_height);
        let rows = panels.split_evenly((services.len().max(1), 1));
        for (s, area) in services.iter().zip(rows.iter()) {
            let points = s.series();
            let y_max = points
                .clone()
                .map(|p| p.running.max(p.healthy).max(p.pending).max(p.not_stopped))
                .chain([s.task_ceiling(), s.max_tasks_observed().unwrap_or(0), 1])
                .max()
                .unwrap_or(1) as f64
                * 1.15;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!(
                        "{}: running (blue), healthy (green), pending (orange), not STOPPED (purple); floor {} (green) and ceiling {} (purple) at the end of the run dashed",
                        s.name(),
                        s.healthy_floor(),
                        s.task_ceiling()
                    ),
                    ("sans-serif", 14),
                )
                .margin(8)
                .x_label_area_size(X_LABELS)
                .y_label_area_size(axis.y_label_area)
                .build_cartesian_2d(0f64..x_max, 0f64..y_max)
                .map_err(err)?;
            draw_mesh(&mut chart, "tasks", axis).map_err(err)?;
            let step = |f: fn(&drainsim_core::SeriesPoint) -> u32| {
                let mut line = Vec::with_capacity(points.len() * 2 + 1);
                let mut last = 0.0;
                for p in points.clone() {
                    let x = axis.at(p.at_ms);
                    line.push((x, last));
                    last = f(&p) as f64;
                    line.push((x, last));
                }
                line.push((axis.at(end_ms), last));
                line
            };
            for (color, f) in [
                (NOT_STOPPED, (|p: &drainsim_core::SeriesPoint| p.not_stopped) as fn(&drainsim_core::SeriesPoint) -> u32),
                (PENDING, |p| p.pending),
                (RUNNING, |p| p.running),
                (HEALTHY, |p| p.healthy),
            ] {
                chart.draw_series(LineSeries::new(step(f), color.stroke_width(2))).map_err(err)?;
            }
            // Each bound dashed in the colour of what it bounds: the floor the healthy tasks, the
            // ceiling the tasks not STOPPED.
            for (bound, color) in [(s.healthy_floor(), HEALTHY), (s.task_ceiling(), NOT_STOPPED)] {
                let y = bound as f64;
                let dashes: Vec<_> = (0..60)
                    .map(|k| {
                        let a = x_max * k as f64 / 60.0;
                        PathElement::new(vec![(a, y), (a + x_max / 120.0, y)], color.mix(0.7).stroke_width(1))
                    })
                    .collect();
                chart.draw_series(dashes).map_err(err)?;
            }
            let marks: Vec<_> = start_marks
                .iter()
                .map(|x| PathElement::new(vec![(*x, 0.0), (*x, y_max)], BOUND.mix(0.25).stroke_width(1)))
                .collect();
            chart.draw_series(marks).map_err(err)?;
        }
        if !scaling.is_empty() {
            for (m, area) in scaling.iter().zip(scaling_area.split_evenly((scaling.len(), 1)).iter()) {
                draw_scaling(area, m, axis).map_err(err)?;
            }
        }
        if instance_lanes.len() > MAX_LANES {
            draw_aggregate(&lanes, &instance_lanes, axis).map_err(err)?;
        } else if !instance_lanes.is_empty() {
            draw_lanes(&lanes, &instance_lanes, axis).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(xml_text_only(svg))
}

/// The SVG with every character XML 1.0 does not allow replaced by U+FFFD: a name given in the
/// scenario may hold a control character (`"o\u{7}"`), which plotters writes as it is (it escapes
/// `<` and `&` only), and a document holding one is not well-formed.
fn xml_text_only(svg: String) -> String {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}');
    if svg.chars().all(allowed) {
        return svg;
    }
    svg.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect()
}

/// For each service, on how many completed drains its task was the last to stop (a DAEMON's task,
/// which stops last by rule once the others have, left aside: what held it is the task before; a
/// drain a standalone task held last counts for no service); ties within an instance go to the
/// task created first.
fn drains_held_last(e: &drainsim_core::Engine) -> std::collections::BTreeMap<drainsim_core::ServiceId, u32> {
    use std::collections::BTreeMap;
    let drains: BTreeMap<drainsim_core::InstanceId, (u64, u64)> = e
        .instances()
        .filter_map(|i| {
            let d = i.drain();
            Some((i.id(), (d.started_at_ms()?, d.completed_at_ms()?)))
        })
        .collect();
    // The last task to stop on each drained instance: its service, or None for a standalone task.
    let mut last: BTreeMap<drainsim_core::InstanceId, (u64, Option<drainsim_core::ServiceId>)> = BTreeMap::new();
    for t in e.tasks() {
        let Some(&(started, completed)) = drains.get(&t.instance().id()) else { continue };
        let Some(stopped) = t.stopped_at_ms() else { continue };
        let service = t.service();
        let daemon = service.as_ref().is_some_and(|s| s.scheduling_strategy() == drainsim_core::SchedulingStrategy::Daemon);
        if daemon || stopped <= started || stopped > completed {
            continue;
        }
        let entry = last.entry(t.instance().id()).or_insert((stopped, service.as_ref().map(|s| s.id())));
        if stopped > entry.0 {
            *entry = (stopped, service.map(|s| s.id()));
        }
    }
    let mut held = BTreeMap::new();
    for s in last.into_values().filter_map(|(_, s)| s) {
        *held.entry(s).or_insert(0u32) += 1;
    }
    held
}

/// The instances that get a lane, in registration order: those whose drain started, and those
/// that went away (INACTIVE) with tasks ECS orphaned. One pass over the run's tasks counts the
/// orphans.
fn lanes_of(e: &drainsim_core::Engine) -> Vec<Lane> {
    let mut orphans: std::collections::BTreeMap<drainsim_core::InstanceId, usize> = std::collections::BTreeMap::new();
    for t in e.tasks().filter(|t| t.orphaned()) {
        *orphans.entry(t.instance().id()).or_insert(0) += 1;
    }
    e.instances()
        .filter_map(|i| {
            let d = i.drain();
            let drain = d.started_at_ms().map(|started| (started, d.no_running_at_ms(), d.completed_at_ms()));
            let gone = orphans.get(&i.id()).map(|n| (i.inactive_at_ms().unwrap_or_else(|| e.now_ms()), *n));
            let cancelled = drain.and(i.drain_cancelled_at_ms());
            let open = i.status() == drainsim_core::InstanceStatus::Draining && d.completed_at_ms().is_none();
            (drain.is_some() || gone.is_some()).then(|| Lane { name: lane_name(i.name()), drain, gone, cancelled, open })
        })
        .collect()
}

/// The most characters of a lane's name: the label area left of the lanes holds about that many.
const LANE_NAME_CHARS: usize = 24;

/// An instance's name as its lane shows it: a longer one keeps its start and its end (where an
/// Auto Scaling group's numbering is) around an ellipsis.
fn lane_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= LANE_NAME_CHARS {
        return name.to_string();
    }
    let tail = (LANE_NAME_CHARS - 1) / 2;
    let head = LANE_NAME_CHARS - 1 - tail;
    chars[..head].iter().chain(['…'].iter()).chain(&chars[chars.len() - tail..]).collect()
}

/// Where the service panels mark drain starts, on the time axis: the earliest start in each of the
/// chart's [`WIDTH`] columns. Marks closer than a column would be drawn over each other: a drain
/// of 10,000 instances in one call is one mark, not 10,000 lines in every panel.
fn drain_start_marks(drained: &[Lane], axis: TimeAxis) -> Vec<f64> {
    let x_max = axis.x_max;
    let mut by_column: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
    for started in drained.iter().filter_map(|d| d.drain.map(|(started, _, _)| started)) {
        let x = axis.at(started);
        let column = (x / x_max * f64::from(WIDTH)) as u64;
        let first = by_column.entry(column).or_insert(x);
        *first = first.min(x);
    }
    by_column.into_values().collect()
}

fn draw_lanes<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    drained: &[Lane],
    axis: TimeAxis,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_max, at) = (axis.x_max, |ms: u64| axis.at(ms));
    let n = drained.len() as f64;
    let caption = if drained.iter().any(|d| d.gone.is_some()) {
        "instances drained or gone with tasks: tasks running (light blue), last tasks stopping (yellow), drain complete (black |), \
         gone with tasks orphaned (red |)"
    } else {
        "drained instances: tasks running (light blue), last tasks stopping (yellow), drain complete (black |)"
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(X_LABELS)
        .y_label_area_size(axis.y_label_area)
        .build_cartesian_2d(0f64..x_max, -0.6f64..(n - 0.4))?;
    let names: Vec<String> = drained.iter().map(|d| d.name.clone()).collect();
    chart
        .configure_mesh()
        .x_desc(axis.unit)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .x_label_formatter(&x_label)
        .y_labels(drained.len() + 1)
        .y_label_formatter(&|y| {
            let k = *y as usize;
            if (*y - k as f64).abs() < 1e-9 && k < names.len() {
                names[names.len() - 1 - k].clone()
            } else {
                String::new()
            }
        })
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (k, d) in drained.iter().enumerate() {
        let y = n - 1.0 - k as f64;
        if let Some((started, no_running, completed)) = d.drain {
            // A drain ends at its completion, where its instance went away with tasks on it, or
            // where it was cancelled.
            let end = completed.or(d.gone.map(|(at, _)| at)).or(d.cancelled).unwrap_or(axis.end_ms).max(started);
            let running_until = no_running.unwrap_or(end).min(end);
            chart
                .draw_series([Rectangle::new([(at(started), y - 0.35), (at(running_until), y + 0.35)], LANE_RUNNING.filled())])?;
            if end > running_until {
                chart.draw_series([Rectangle::new([(at(running_until), y - 0.35), (at(end), y + 0.35)], STOPPING.filled())])?;
            }
            if let (Some(c), None) = (completed, d.gone) {
                chart.draw_series([PathElement::new(vec![(at(c), y - 0.45), (at(c), y + 0.45)], BLACK.stroke_width(2))])?;
            }
            if let (Some(c), None, None) = (d.cancelled, completed, d.gone) {
                chart.draw_series([PathElement::new(vec![(at(c), y - 0.45), (at(c), y + 0.45)], BOUND.stroke_width(2))])?;
                chart.draw_series([lane_note("drain cancelled (ACTIVE again)", at(c), y, &BOUND, x_max)])?;
            } else if d.open && d.gone.is_none() {
                chart.draw_series([lane_note("still draining at the end of the run", at(end), y, &BLACK, x_max)])?;
            }
        }
        if let Some((gone_at, orphaned)) = d.gone {
            chart.draw_series([PathElement::new(
                vec![(at(gone_at), y - 0.45), (at(gone_at), y + 0.45)],
                ORPHANED.stroke_width(3),
            )])?;
            let count = if orphaned == 1 { "1 task".to_string() } else { format!("{orphaned} tasks") };
            let label = if d.drain.is_some() { format!("{count} orphaned") } else { format!("{count} orphaned, not drained") };
            chart.draw_series([lane_note(&label, at(gone_at), y, &ORPHANED, x_max)])?;
        }
    }
    Ok(())
}

/// A note beside a mark in a lane (at `x`, `y` in the lanes' coordinates): right of it, or left
/// of it when the mark is in the last fifth of the axis, where the text would leave the chart.
fn lane_note(text: &str, x: f64, y: f64, color: &'static RGBColor, x_max: f64) -> Text<'static, (f64, f64), String> {
    let (pos, x) = if x > x_max * 0.8 {
        (Pos::new(HPos::Right, VPos::Center), x - x_max * 0.006)
    } else {
        (Pos::new(HPos::Left, VPos::Center), x + x_max * 0.006)
    };
    let style = TextStyle::from(("sans-serif", 13).into_font()).color(color).pos(pos);
    Text::new(text.to_string(), (x, y), style)
}

fn draw_aggregate<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    drained: &[Lane],
    axis: TimeAxis,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_max, end_ms, at) = (axis.x_max, axis.end_ms, |ms: u64| axis.at(ms));
    // Instances draining (started, not ended), drained (complete) and gone with tasks orphaned over
    // time, as step lines. A drain that ended with its instance gone counts as gone, not complete.
    let mut changes: Vec<(u64, [i64; 3])> = Vec::with_capacity(drained.len() * 2);
    for d in drained {
        if let Some((started, _, completed)) = d.drain {
            changes.push((started, [1, 0, 0]));
            match (completed, d.gone) {
                (_, Some((gone_at, _))) => changes.push((gone_at.max(started), [-1, 0, 0])),
                (Some(c), None) => changes.push((c, [-1, 1, 0])),
                (None, None) => {}
            }
        }
        if let Some((gone_at, _)) = d.gone {
            changes.push((gone_at, [0, 0, 1]));
        }
    }
    changes.sort_unstable();
    // One step per instant: what starts, completes or goes together moves the lines once.
    let mut counts = [0i64; 3];
    let mut lines: [Vec<(f64, f64)>; 3] = [vec![(0.0, 0.0)], vec![(0.0, 0.0)], vec![(0.0, 0.0)]];
    for instant in changes.chunk_by(|x, y| x.0 == y.0) {
        let x = at(instant[0].0);
        for (line, count) in lines.iter_mut().zip(counts) {
            line.push((x, count as f64));
        }
        for (_, delta) in instant {
            for (count, d) in counts.iter_mut().zip(delta) {
                *count += d;
            }
        }
        for (line, count) in lines.iter_mut().zip(counts) {
            line.push((x, count as f64));
        }
    }
    for (line, count) in lines.iter_mut().zip(counts) {
        line.push((at(end_ms), count as f64));
    }
    let gone = drained.iter().filter(|d| d.gone.is_some()).count();
    let caption = if gone == 0 {
        format!("{} drained instances: draining (brown), drain complete (black)", drained.len())
    } else {
        format!(
            "{} instances drained or gone with tasks: draining (brown), drain complete (black), gone with tasks orphaned (red)",
            drained.len()
        )
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(X_LABELS)
        .y_label_area_size(axis.y_label_area)
        .build_cartesian_2d(0f64..x_max, 0f64..(drained.len() as f64 * 1.1))?;
    draw_mesh(&mut chart, "instances", axis)?;
    let [draining, done, orphaned] = lines;
    chart.draw_series(LineSeries::new(draining, DRAINING.stroke_width(2)))?;
    chart.draw_series(LineSeries::new(done, BLACK.stroke_width(2)))?;
    if gone > 0 {
        chart.draw_series(LineSeries::new(orphaned, ORPHANED.stroke_width(2)))?;
    }
    Ok(())
}

/// A capacity provider's managed scaling over time: N, M and the desired capacity as step lines,
/// each datapoint's value holding until the next one kept.
fn draw_scaling<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    m: &crate::outcome::ManagedScalingOutcome,
    axis: TimeAxis,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_max, end_ms, at) = (axis.x_max, axis.end_ms, |ms: u64| axis.at(ms));
    let y_max = m
        .samples
        .iter()
        .map(|p| p.instances_running.max(p.instances_needed).max(p.desired_capacity).max(p.desired_capacity_before))
        .max()
        .unwrap_or(1)
        .max(m.initial_desired_capacity)
        .max(1) as f64
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} (group {}, targetCapacity {}%): instances running N (blue), needed M (green), desired capacity (orange)",
                m.capacity_provider_name, m.auto_scaling_group_name, m.target_capacity
            ),
            ("sans-serif", 14),
        )
        .margin(8)
        .x_label_area_size(X_LABELS)
        .y_label_area_size(axis.y_label_area)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
    draw_mesh(&mut chart, "instances", axis)?;
    // The desired capacity is known from time 0 (the group's own, `initial_desired_capacity`,
    // until a datapoint saw it changed: by managed scaling at that datapoint, or by a request or
    // step between datapoints, drawn at the datapoint that saw it); N and M from the first
    // datapoint that changed something.
    let step = |f: fn(&crate::outcome::ManagedScalingSample) -> u32, from_0: Option<u32>| {
        let mut line = Vec::with_capacity(m.samples.len() * 2 + 2);
        let mut last: Option<f64> = from_0.map(f64::from);
        if let Some(y) = last {
            line.push((0.0, y));
        }
        for p in &m.samples {
            let x = at(p.at_ms);
            if let Some(y) = last {
                line.push((x, y));
            }
            let y = f64::from(f(p));
            line.push((x, y));
            last = Some(y);
        }
        line.push((at(end_ms), last.unwrap_or(0.0)));
        line
    };
    // Not the first datapoint's `desiredCapacityBefore`: a request before it (a
    // TerminateInstanceInAutoScalingGroup that decremented the group) changed the group's own.
    let desired_from_0 = Some(m.initial_desired_capacity);
    for (color, f, from_0) in [
        (
            PENDING,
            (|p: &crate::outcome::ManagedScalingSample| p.desired_capacity) as fn(&crate::outcome::ManagedScalingSample) -> u32,
            desired_from_0,
        ),
        (RUNNING, |p| p.instances_running, None),
        (HEALTHY, |p| p.instances_needed, None),
    ] {
        chart.draw_series(LineSeries::new(step(f, from_0), color.stroke_width(2)))?;
    }
    Ok(())
}

/// A time axis position as every panel labels it: without a decimal when whole, or on a long
/// axis where a tenth of a unit says nothing.
fn x_label(v: &f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The axes of a panel over simulated time (`axis`), with `y_desc` up the side.
fn draw_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
    y_desc: &str,
    axis: TimeAxis,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_mesh()
        .x_desc(axis.unit)
        .y_desc(y_desc)
        // Counts of tasks and instances: whole numbers only (a tick at 0.5 tasks reads as one), and
        // long axes without a decimal.
        .y_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() })
        .x_label_formatter(&x_label)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()
}
