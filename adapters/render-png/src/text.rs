//! Text with correct glyph placement, as a drawing backend wrapper.
//!
//! plotters 0.3.7 rasterizes `ab_glyph` text itself but drops each glyph's left side bearing
//! and rounds the pen position per glyph, so letters sit unevenly ("syn thetic") and a middle
//! dot touches the letter before it. [`CrispText`] wraps a backend and draws every text itself
//! with `ab_glyph` from the same embedded font: sub-pixel pen positions, bearings and kerning
//! as the font defines them. Everything else (lines, rectangles, size estimates) goes to the
//! wrapped backend unchanged, so plotters' layout and this drawing agree on text widths.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

use crate::FONT_BYTES;

/// The parsed embedded font and the one metric plotters does not provide.
pub(crate) struct Face {
    /// The font.
    font: FontRef<'static>,
    /// Capital height as a fraction of the pixel size (ascent minus descent).
    cap_ratio: f32,
}

/// The embedded font, parsed once per process; `None` when the bytes are not a font.
pub(crate) fn face() -> Option<&'static Face> {
    static FACE: OnceLock<Option<Face>> = OnceLock::new();
    FACE.get_or_init(|| {
        let font = FontRef::try_from_slice(FONT_BYTES).ok()?;
        let height = font.height_unscaled();
        let cap = font
            .outline(font.glyph_id('H'))
            .map(|outline| outline.bounds.max.y - outline.bounds.min.y)
            .filter(|cap| *cap > 0.0 && height > 0.0);
        let cap_ratio = cap.map_or(0.63, |cap| cap / height);
        Some(Face { font, cap_ratio })
    })
    .as_ref()
}

/// A backend whose text is drawn by [`Face`]; see the module docs.
pub(crate) struct CrispText<DB> {
    /// The backend that draws everything else.
    inner: DB,
    /// The font.
    face: &'static Face,
}

impl<DB: DrawingBackend> CrispText<DB> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: DB, face: &'static Face) -> CrispText<DB> {
        CrispText { inner, face }
    }
}

impl<DB: DrawingBackend> DrawingBackend for CrispText<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }

    /// Draws `text` with its anchor at `pos`. The anchor box is plotters' own (the text's advance
    /// width by `size / 1.24`), and the capitals are centred in it vertically. Rotated text is
    /// left to the wrapped backend.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if !matches!(style.transform(), FontTransform::None) {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        let size = style.size() as f32;
        if color.alpha <= 0.0 || text.is_empty() || !(size.is_finite() && size > 0.0) {
            return Ok(());
        }
        let font = self.face.font.as_scaled(PxScale::from(size));

        // Pen positions first, to know the width for right and centre anchors.
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = 0.0_f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                caret += font.kern(previous, id);
            }
            glyphs.push((id, caret));
            caret += font.h_advance(id);
            previous = Some(id);
        }
        let anchor = style.anchor();
        let left = pos.0 as f32
            - match anchor.h_pos {
                HPos::Left => 0.0,
                HPos::Center => caret / 2.0,
                HPos::Right => caret,
            };
        let box_height = size / 1.24;
        let box_middle = pos.1 as f32
            + match anchor.v_pos {
                VPos::Top => box_height / 2.0,
                VPos::Center => 0.0,
                VPos::Bottom => -box_height / 2.0,
            };
        let baseline = box_middle + size * self.face.cap_ratio / 2.0;

        let (width, height) = self.inner.get_size();
        let mut failure = None;
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(PxScale::from(size), point(left + x, baseline));
            let Some(outline) = self.face.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            let inner = &mut self.inner;
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (x0 + gx as i32, y0 + gy as i32);
                if failure.is_some()
                    || coverage <= 0.0
                    || px < 0
                    || py < 0
                    || px as u32 >= width
                    || py as u32 >= height
                {
                    return;
                }
                let shade = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                if let Err(e) = inner.draw_pixel((px, py), shade) {
                    failure = Some(e);
                }
            });
        }
        failure.map_or(Ok(()), Err)
    }
}
