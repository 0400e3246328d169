// complaint-form.js: the "Use my location" button of the filing form. The form works without
// it (latitude and longitude can be typed); the button only shows where geolocation exists.
(function () {
  'use strict';
  var button = document.getElementById('use-location');
  var status = document.getElementById('location-status');
  if (!button || !('geolocation' in navigator)) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    status.textContent = 'Finding your position…';
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById('lat').value = position.coords.latitude.toFixed(6);
      document.getElementById('lon').value = position.coords.longitude.toFixed(6);
      status.textContent = 'Position filled in (within about ' + Math.round(position.coords.accuracy) + ' m).';
    }, function (error) {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? 'Your browser did not allow us your position: type the address or the coordinates instead.'
        : 'Your position could not be found: type the address or the coordinates instead.';
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
