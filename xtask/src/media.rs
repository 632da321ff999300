//! `cargo xtask media`: the fake-camera clips of the browser tests.
//!
//! Chromium's fake capture device plays a `.y4m` file in a loop
//! (`--use-file-for-fake-video-capture`). We make two from photographs
//! committed in `tests/fixtures/` (licences there): a face (astronaut.png)
//! and no face (coffee.png). The picture drifts a few pixels from frame to
//! frame, so the camera delivers a moving video, not a frozen frame.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::util;

pub(crate) const WIDTH: usize = 640;
pub(crate) const HEIGHT: usize = 480;
pub(crate) const FPS: usize = 10;
pub(crate) const FRAMES: usize = 30;
/// Largest horizontal drift, in pixels.
const DRIFT: f64 = 6.0;

pub(crate) struct Clips {
    pub face: PathBuf,
    pub no_face: PathBuf,
}

pub(crate) fn dir() -> PathBuf {
    util::root().join("target/e2e/media")
}

pub(crate) fn run() -> Result<Clips> {
    let fixtures = util::root().join("tests/fixtures");
    let clips = Clips {
        face: dir().join("face.y4m"),
        no_face: dir().join("no-face.y4m"),
    };
    std::fs::create_dir_all(dir())?;
    for (src, dst) in [
        ("astronaut.png", &clips.face),
        ("coffee.png", &clips.no_face),
    ] {
        if dst.exists() {
            println!("ok   {}", dst.display());
            continue;
        }
        let image = Rgb::read_png(&fixtures.join(src))?;
        write_y4m(&image, dst)?;
        println!("made {} from tests/fixtures/{src}", dst.display());
    }
    Ok(clips)
}

/// An 8-bit RGB picture.
pub(crate) struct Rgb {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Rgb {
    pub(crate) fn read_png(path: &Path) -> Result<Rgb> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut decoder = png::Decoder::new(file);
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info()?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf)?;
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            other => bail!("{}: unsupported PNG colour type {other:?}", path.display()),
        };
        let mut data = Vec::with_capacity(w * h * 3);
        for px in buf[..w * h * channels].chunks_exact(channels) {
            match channels {
                1 | 2 => data.extend_from_slice(&[px[0], px[0], px[0]]),
                _ => data.extend_from_slice(&px[..3]),
            }
        }
        Ok(Rgb {
            width: w,
            height: h,
            data,
        })
    }

    /// Bilinear sample at (x, y) in source pixels; grey outside.
    fn sample(&self, x: f64, y: f64) -> [f64; 3] {
        if x < 0.0 || y < 0.0 || x > (self.width - 1) as f64 || y > (self.height - 1) as f64 {
            return [128.0; 3];
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let px = |x: usize, y: usize, c: usize| f64::from(self.data[(y * self.width + x) * 3 + c]);
        let mut out = [0.0; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
            let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
            *o = top * (1.0 - fy) + bottom * fy;
        }
        out
    }
}

/// Writes the picture, fitted into 640×480 and drifting, as 4:2:0 Y4M
/// (BT.601, video range, the format Chromium's fake device reads).
pub(crate) fn write_y4m(image: &Rgb, path: &Path) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg"
    )?;
    let scale = (WIDTH as f64 / image.width as f64).min(HEIGHT as f64 / image.height as f64);
    let (ox, oy) = (
        (WIDTH as f64 - image.width as f64 * scale) / 2.0,
        (HEIGHT as f64 - image.height as f64 * scale) / 2.0,
    );
    let mut rgb = vec![[0.0f64; 3]; WIDTH * HEIGHT];
    for frame in 0..FRAMES {
        let drift = DRIFT * (std::f64::consts::TAU * frame as f64 / FRAMES as f64).sin();
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let sx = (x as f64 - ox - drift) / scale;
                let sy = (y as f64 - oy) / scale;
                rgb[y * WIDTH + x] = image.sample(sx, sy);
            }
        }
        out.write_all(b"FRAME\n")?;
        let luma: Vec<u8> = rgb
            .iter()
            .map(|[r, g, b]| clamp(16.0 + 0.2568 * r + 0.5041 * g + 0.0979 * b))
            .collect();
        out.write_all(&luma)?;
        let (cw, ch) = (WIDTH / 2, HEIGHT / 2);
        let mut u = Vec::with_capacity(cw * ch);
        let mut v = Vec::with_capacity(cw * ch);
        for cy in 0..ch {
            for cx in 0..cw {
                let mut avg = [0.0; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = rgb[(cy * 2 + dy) * WIDTH + cx * 2 + dx];
                    for c in 0..3 {
                        avg[c] += p[c] / 4.0;
                    }
                }
                let [r, g, b] = avg;
                u.push(clamp(128.0 - 0.1482 * r - 0.2910 * g + 0.4392 * b));
                v.push(clamp(128.0 + 0.4392 * r - 0.3678 * g - 0.0714 * b));
            }
        }
        out.write_all(&u)?;
        out.write_all(&v)?;
    }
    out.flush()?;
    Ok(())
}

fn clamp(x: f64) -> u8 {
    x.round().clamp(0.0, 255.0) as u8
}
