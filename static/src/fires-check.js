// The ground-check answer page (/kantor/karhutla/cek/<id>/), on a phone in the field:
// - the phone's position (when it gives one) goes into the form's hidden lat/lng inputs, and the
//   page says whether it will be sent; without it the answer is still accepted;
// - the chosen photo is previewed, so the officer sees what they are about to send;
// - the send button is disabled once pressed: on a slow network a second tap must not upload twice.
// Every text comes translated from the page (data-* attributes). Without JavaScript the form
// works as it is, without the position.

function start(form) {
  const lat = form.querySelector('input[name="lat"]');
  const lng = form.querySelector('input[name="lng"]');
  const status = form.querySelector("[data-position]");
  const photo = form.querySelector('input[name="photo"]');
  const preview = form.querySelector("[data-photo-preview]");
  const send = form.querySelector('button[type="submit"]');

  function say(key) {
    if (status && status.dataset[key]) status.textContent = status.dataset[key];
  }

  if (lat && lng && "geolocation" in navigator) {
    say("locating");
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        say("located");
      },
      () => say("unavailable"),
      { enableHighAccuracy: true, timeout: 30000, maximumAge: 120000 },
    );
  } else {
    say("unavailable");
  }

  let previewUrl = null;
  if (photo && preview) {
    photo.addEventListener("change", () => {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = null;
      const file = photo.files && photo.files[0];
      if (file && file.type.indexOf("image/") === 0) {
        previewUrl = URL.createObjectURL(file);
        preview.src = previewUrl;
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    });
  }

  form.addEventListener("submit", () => {
    if (!send) return;
    // Let this submission go, then refuse the next tap.
    window.setTimeout(() => {
      send.disabled = true;
      if (send.dataset.sending) send.textContent = send.dataset.sending;
    }, 0);
  });
}

document.querySelectorAll("[data-check-form]").forEach(start);
