//! The comparison of the two identity photos, for the reviewer: the stored
//! JPEGs are decoded, the vision worker counts the faces on each and, when
//! each shows exactly one, how alike they are. The result becomes a
//! `face_match` event; the reviewer sees the photos side by side with the
//! figure. A reviewer's aid, never a verdict: nothing in the app or the
//! server acts on it.

use vigil_exam::{AttemptState, FaceMatchBody};

use crate::browser::{camera, idb, vision};

/// Photos are compared at this width (the face on the ID card is small);
/// so is the live face with the face photo (`live_checks`).
pub const COMPARE_WIDTH: u32 = 640;

/// The two photos to compare, when there are two and they were not
/// compared yet (nor the attempt submitted).
pub fn due(state: &AttemptState) -> Option<(String, String)> {
    let (Some(id), Some(face)) = (&state.id_document_sha256, &state.face_sha256) else {
        return None;
    };
    if state.submitted_at_ms.is_some() {
        return None;
    }
    let done = state
        .face_match
        .as_ref()
        .is_some_and(|m| &m.id_sha256 == id && &m.face_sha256 == face);
    (!done).then(|| (id.clone(), face.clone()))
}

/// Compares the stored photos; `Err` when they cannot be read or the worker
/// cannot run (the app tries again at the next start).
pub async fn measure(id_sha: &str, face_sha: &str) -> Result<FaceMatchBody, String> {
    let load = |sha: String| async move {
        let bytes = idb::get_media(&sha)
            .await
            .map_err(|e| e.0)?
            .ok_or_else(|| format!("photo {sha} not on this computer"))?;
        camera::jpeg_pixels(&bytes, COMPARE_WIDTH)
            .await
            .ok_or_else(|| format!("photo {sha} could not be decoded"))
    };
    let id_pixels = load(id_sha.to_owned()).await?;
    let face_pixels = load(face_sha.to_owned()).await?;
    let worker = vision::shared().await?;
    let m = worker.identity(&id_pixels, &face_pixels).await?;
    Ok(FaceMatchBody {
        face_sha256: face_sha.to_owned(),
        faces_on_face: m.faces_on_photo.min(u32::MAX as usize) as u32,
        faces_on_id: m.faces_on_id.min(u32::MAX as usize) as u32,
        id_sha256: id_sha.to_owned(),
        similarity_milli: m.similarity.map(milli),
    })
}

/// A similarity (−1 to 1) in thousandths, as the event stores it.
pub fn milli(similarity: f64) -> i32 {
    (similarity.clamp(-1.0, 1.0) * 1000.0).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::Attempt;

    #[test]
    fn similarities_are_stored_in_bounded_thousandths() {
        assert_eq!(milli(0.7934), 793);
        assert_eq!(milli(-0.1), -100);
        assert_eq!(milli(1.5), 1000);
        assert_eq!(milli(-2.0), -1000);
    }

    #[test]
    fn due_once_both_photos_are_kept_and_not_after_the_comparison() {
        let sha = |c: char| c.to_string().repeat(64);
        let exam = vigil_exam::Exam::from_toml(include_str!("../exams/demo-short.toml")).unwrap();
        let window = vigil_exam::StartWindow {
            opens_at_ms: 0,
            closes_at_ms: 1_000,
        };
        let mut a = Attempt::new();
        a.record_checks(vec![], 1).unwrap();
        a.consent("v1", &sha('a'), 2).unwrap();
        a.enter_waiting_room(2).unwrap();
        a.start(&exam, &window, false, 2).unwrap();
        assert_eq!(due(a.state()), None);
        a.capture_identity(vigil_exam::IdentityWhat::IdDocument, &sha('b'), 3)
            .unwrap();
        assert_eq!(due(a.state()), None);
        a.capture_identity(vigil_exam::IdentityWhat::Face, &sha('c'), 4)
            .unwrap();
        assert_eq!(due(a.state()), Some((sha('b'), sha('c'))));
        a.record_face_match(
            FaceMatchBody {
                face_sha256: sha('c'),
                faces_on_face: 1,
                faces_on_id: 1,
                id_sha256: sha('b'),
                similarity_milli: Some(800),
            },
            5,
        )
        .unwrap();
        assert_eq!(due(a.state()), None);
    }
}
