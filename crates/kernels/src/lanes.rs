//! Four `f32` lanes: the one vector type the kernels are written in.
//!
//! On wasm32 with `simd128` it is a `v128` and every method is one or two
//! instructions (`f32x4.mul` + `f32x4.add`, or one `f32x4.relaxed_madd`
//! when the build also enables `relaxed-simd`). Everywhere else it is a
//! `[f32; 4]` whose loops the compiler turns into the host's SIMD: the
//! kernels' logic (blocking, padding, epilogues) is then the same code
//! natively, where the reference tests run it against tract's own
//! operators, and in the browser.
//!
//! Loads and stores take a slice and an index and check the bounds with a
//! debug assertion only: each kernel checks its slices' lengths once, on
//! entry, against the sizes it will index, so that the inner loops carry
//! no checks (see the `// SAFETY` notes at each kernel's entry).

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub(crate) struct F4(v128);

    impl F4 {
        #[inline(always)]
        pub(crate) fn splat(x: f32) -> F4 {
            F4(f32x4_splat(x))
        }

        /// Lanes `s[i..i + 4]`.
        ///
        /// # Safety
        /// `i + 4 <= s.len()`.
        #[inline(always)]
        pub(crate) unsafe fn load(s: &[f32], i: usize) -> F4 {
            debug_assert!(i + 4 <= s.len());
            // SAFETY: in bounds by the caller's contract; wasm loads need no
            // alignment.
            F4(unsafe { v128_load(s.as_ptr().add(i) as *const v128) })
        }

        /// Lanes `s[i]`, `s[i + 2]`, `s[i + 4]`, `s[i + 6]` (a stride-2 row).
        ///
        /// # Safety
        /// `i + 8 <= s.len()`.
        #[inline(always)]
        pub(crate) unsafe fn load_even(s: &[f32], i: usize) -> F4 {
            debug_assert!(i + 8 <= s.len());
            // SAFETY: as `load`, twice.
            let (a, b) = unsafe {
                (
                    v128_load(s.as_ptr().add(i) as *const v128),
                    v128_load(s.as_ptr().add(i + 4) as *const v128),
                )
            };
            F4(i32x4_shuffle::<0, 2, 4, 6>(a, b))
        }

        /// # Safety
        /// `i + 4 <= s.len()`.
        #[inline(always)]
        pub(crate) unsafe fn store(self, s: &mut [f32], i: usize) {
            debug_assert!(i + 4 <= s.len());
            // SAFETY: in bounds by the caller's contract.
            unsafe { v128_store(s.as_mut_ptr().add(i) as *mut v128, self.0) }
        }

        #[inline(always)]
        pub(crate) fn add(self, o: F4) -> F4 {
            F4(f32x4_add(self.0, o.0))
        }

        /// `self * b + c`: one fused instruction with relaxed SIMD (whose
        /// rounding may then be the fused one's), two without.
        #[inline(always)]
        pub(crate) fn mul_add(self, b: F4, c: F4) -> F4 {
            #[cfg(target_feature = "relaxed-simd")]
            {
                F4(f32x4_relaxed_madd(self.0, b.0, c.0))
            }
            #[cfg(not(target_feature = "relaxed-simd"))]
            {
                F4(f32x4_add(f32x4_mul(self.0, b.0), c.0))
            }
        }

        /// Lane-wise maximum (`pmax`: one instruction; the kernels never
        /// feed it a NaN they did not receive).
        #[inline(always)]
        pub(crate) fn max(self, o: F4) -> F4 {
            F4(f32x4_pmax(self.0, o.0))
        }

        #[inline(always)]
        pub(crate) fn min(self, o: F4) -> F4 {
            F4(f32x4_pmin(self.0, o.0))
        }

        /// `[max(a0, a1), max(a2, a3), max(b0, b1), max(b2, b3)]`: the
        /// horizontal half of a 2×2 max-pool.
        #[inline(always)]
        pub(crate) fn max_pairs(a: F4, b: F4) -> F4 {
            let even = i32x4_shuffle::<0, 2, 4, 6>(a.0, b.0);
            let odd = i32x4_shuffle::<1, 3, 5, 7>(a.0, b.0);
            F4(f32x4_pmax(even, odd))
        }

        /// `([a0, b0, a1, b1], [a2, b2, a3, b3])`: two vectors' lanes
        /// interleaved, as a row of even and odd outputs is stored.
        #[inline(always)]
        pub(crate) fn zip(a: F4, b: F4) -> (F4, F4) {
            (
                F4(i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0)),
                F4(i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0)),
            )
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    #[derive(Clone, Copy)]
    pub(crate) struct F4([f32; 4]);

    impl F4 {
        #[inline(always)]
        pub(crate) fn splat(x: f32) -> F4 {
            F4([x; 4])
        }

        /// # Safety
        /// `i + 4 <= s.len()` (checked here too: this is the portable build).
        #[inline(always)]
        pub(crate) unsafe fn load(s: &[f32], i: usize) -> F4 {
            let mut v = [0.0; 4];
            v.copy_from_slice(&s[i..i + 4]);
            F4(v)
        }

        /// # Safety
        /// `i + 8 <= s.len()`.
        #[inline(always)]
        pub(crate) unsafe fn load_even(s: &[f32], i: usize) -> F4 {
            debug_assert!(i + 8 <= s.len());
            F4([s[i], s[i + 2], s[i + 4], s[i + 6]])
        }

        /// # Safety
        /// `i + 4 <= s.len()`.
        #[inline(always)]
        pub(crate) unsafe fn store(self, s: &mut [f32], i: usize) {
            s[i..i + 4].copy_from_slice(&self.0);
        }

        #[inline(always)]
        pub(crate) fn add(self, o: F4) -> F4 {
            F4(std::array::from_fn(|k| self.0[k] + o.0[k]))
        }

        #[inline(always)]
        pub(crate) fn mul_add(self, b: F4, c: F4) -> F4 {
            F4(std::array::from_fn(|k| self.0[k] * b.0[k] + c.0[k]))
        }

        #[inline(always)]
        pub(crate) fn max(self, o: F4) -> F4 {
            F4(std::array::from_fn(|k| {
                if o.0[k] > self.0[k] {
                    o.0[k]
                } else {
                    self.0[k]
                }
            }))
        }

        #[inline(always)]
        pub(crate) fn min(self, o: F4) -> F4 {
            F4(std::array::from_fn(|k| {
                if o.0[k] < self.0[k] {
                    o.0[k]
                } else {
                    self.0[k]
                }
            }))
        }

        #[inline(always)]
        pub(crate) fn max_pairs(a: F4, b: F4) -> F4 {
            let m = |x: f32, y: f32| if y > x { y } else { x };
            F4([
                m(a.0[0], a.0[1]),
                m(a.0[2], a.0[3]),
                m(b.0[0], b.0[1]),
                m(b.0[2], b.0[3]),
            ])
        }

        #[inline(always)]
        pub(crate) fn zip(a: F4, b: F4) -> (F4, F4) {
            let (a, b) = (a.0, b.0);
            (F4([a[0], b[0], a[1], b[1]]), F4([a[2], b[2], a[3], b[3]]))
        }
    }
}

pub(crate) use imp::F4;

/// Which vector instructions this build's kernels use, for the benchmark's
/// report and the worker's `ready` message.
pub const LANES: &str = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    "wasm simd128 + relaxed-simd"
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    "wasm simd128"
} else {
    "portable"
};
