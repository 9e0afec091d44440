//! Heat maps: a scenario grid renders to a PNG of the requested size with red losses, green
//! gains and the marked cell outlined; bad specs are errors; random specs never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

use std::collections::HashSet;

mod common;

use proptest::prelude::*;
use render_png::{MAX_HEATMAP_COLUMNS, PngChartRenderer};
use ttai_core::app::{ChartRenderer, HeatmapPanel, HeatmapSpec};

/// The full loss colour and the full gain colour (the candle colours).
const RED: [u8; 3] = [220, 53, 69];
const GREEN: [u8; 3] = [38, 166, 91];

#[test]
fn a_scenario_grid_draws_losses_red_and_gains_green() {
    let spec = common::scenario_heatmap();
    let bytes = PngChartRenderer::new().render_heatmap_png(&spec).unwrap();
    let (w, h, rgb) = common::decode(&bytes);
    assert_eq!((w, h), (1100, 700));
    let colours: HashSet<[u8; 3]> = rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    // The largest loss is the full red (it is the largest value by size); the largest gain is
    // nearly the full green.
    assert!(colours.contains(&RED), "no full red cell");
    assert!(
        colours.iter().any(|c| c[1] > 160 && c[0] < 60 && c[2] < 110),
        "no deep green cell"
    );
    // The marked cell's outline is near-black.
    assert!(colours.contains(&[20, 20, 20]), "no outline");
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
}

#[test]
fn bad_heat_maps_are_errors() {
    let renderer = PngChartRenderer::new();
    let mut no_panels = common::scenario_heatmap();
    no_panels.panels.clear();
    let mut short_row = common::scenario_heatmap();
    short_row.panels[1].values[2].pop();
    let mut nan = common::scenario_heatmap();
    nan.panels[0].values[0][0] = f64::NAN;
    let mut outside = common::scenario_heatmap();
    outside.panels[0].marked = Some((4, 0));
    let mut labels = common::scenario_heatmap();
    labels.panels[0].rows.pop();
    let mut tiny = common::scenario_heatmap();
    tiny.width = 10;
    let mut wide = common::scenario_heatmap();
    wide.columns = (0..=MAX_HEATMAP_COLUMNS).map(|i| i.to_string()).collect();
    for panel in &mut wide.panels {
        for row in &mut panel.values {
            row.resize(MAX_HEATMAP_COLUMNS + 1, 0.0);
        }
    }
    for (name, spec) in [
        ("no panels", no_panels),
        ("short row", short_row),
        ("nan", nan),
        ("marked outside", outside),
        ("row labels", labels),
        ("tiny", tiny),
        ("too many columns", wide),
    ] {
        let error = renderer.render_heatmap_png(&spec).unwrap_err();
        assert!(!error.0.contains("panicked"), "{name}: {error}");
    }
}

#[test]
fn a_flat_grid_is_all_white_cells() {
    let mut spec = common::scenario_heatmap();
    for panel in &mut spec.panels {
        for row in &mut panel.values {
            row.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    let bytes = PngChartRenderer::new().render_heatmap_png(&spec).unwrap();
    let (_, _, rgb) = common::decode(&bytes);
    let colours: HashSet<[u8; 3]> = rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    assert!(!colours.contains(&RED) && !colours.contains(&GREEN));
}

fn spec_strategy() -> impl Strategy<Value = HeatmapSpec> {
    (1usize..6, 1usize..12, 1usize..3, 160u32..1400, 120u32..900).prop_flat_map(
        |(rows, columns, panels, width, height)| {
            (
                proptest::collection::vec(
                    proptest::collection::vec(proptest::collection::vec(-1e9f64..1e9, columns), rows),
                    panels,
                ),
                Just((rows, columns, width, height)),
            )
                .prop_map(|(values, (rows, columns, width, height))| HeatmapSpec {
                    title: "t".repeat(columns * 10),
                    subtitle: "s".into(),
                    column_title: "c".into(),
                    columns: (0..columns).map(|c| format!("{c}")).collect(),
                    panels: values
                        .into_iter()
                        .map(|values| HeatmapPanel {
                            title: "p".into(),
                            rows: (0..rows).map(|r| format!("r{r}")).collect(),
                            values,
                            marked: Some((0, columns - 1)),
                        })
                        .collect(),
                    width,
                    height,
                })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random grids give a PNG of the requested size or an error, never a panic.
    #[test]
    fn random_heat_maps_never_panic(spec in spec_strategy()) {
        match PngChartRenderer::new().render_heatmap_png(&spec) {
            Ok(bytes) => {
                let (w, h, _) = common::decode(&bytes);
                prop_assert_eq!((w, h), (spec.width, spec.height));
            }
            Err(err) => prop_assert!(!err.0.contains("panicked"), "{}", err),
        }
    }
}
