// complaint-form.js: the filing form's helpers. The form works without them (the server checks
// everything again): a photo over the size limit is named before it is sent, rather than after a
// long upload; "Use my location" fills the coordinates where geolocation exists.
(function () {
  'use strict';

  // The photo's size, checked on choosing it and again on sending.
  var photo = document.getElementById('photo');
  var sizeError = document.getElementById('photo-size-error');
  var form = document.getElementById('complaint-form');
  function photoTooLarge() {
    var max = Number(photo.getAttribute('data-max-bytes'));
    var file = photo.files && photo.files[0];
    var tooLarge = Boolean(file && max > 0 && file.size > max);
    var message = tooLarge
      ? 'This photo is ' + (file.size / 1048576).toFixed(1) + ' MB: the largest accepted is ' +
        photo.getAttribute('data-max-words') + '. Please choose a smaller one (most phones can share a reduced size).'
      : '';
    photo.setCustomValidity(message);
    sizeError.textContent = message;
    sizeError.hidden = !tooLarge;
    if (tooLarge) photo.setAttribute('aria-invalid', 'true');
    else if (!document.getElementById('photo-error')) photo.removeAttribute('aria-invalid');
    return tooLarge;
  }
  if (photo && sizeError && form) {
    photo.addEventListener('change', photoTooLarge);
    form.addEventListener('submit', function (event) {
      if (photoTooLarge()) {
        event.preventDefault();
        photo.focus();
      }
    });
  }

  var button = document.getElementById('use-location');
  var status = document.getElementById('location-status');
  if (!button || !('geolocation' in navigator)) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    status.textContent = 'Finding your position…';
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById('lat').value = position.coords.latitude.toFixed(6);
      document.getElementById('lon').value = position.coords.longitude.toFixed(6);
      // The map (map.js), when there is one, moves its pin there.
      document.getElementById('lon').dispatchEvent(new Event('change'));
      status.textContent = 'Position filled in (within about ' + Math.round(position.coords.accuracy) + ' m).';
    }, function (error) {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? 'Your browser did not allow us your position: type the address or the coordinates instead.'
        : 'Your position could not be found: type the address or the coordinates instead.';
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
