//! PNG encoding of the RGB buffer.

use ttai_core::app::RenderError;

/// Encodes `width × height` 8-bit RGB pixels as a PNG.
///
/// The balanced deflate setting is used: on the 300-bar benchmark chart it makes the PNG about
/// 45 % smaller than the fast setting (69 KB instead of 126 KB) for about 9 ms more, and the
/// picture travels base64-encoded in an MCP answer, so bytes cost more than milliseconds.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let fail = |e: png::EncodingError| RenderError(format!("PNG encoding failed: {e}"));
    let mut out = Vec::with_capacity(rgb.len() / 16);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}
