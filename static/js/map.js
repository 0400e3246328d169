// map.js: the map of a page (templates/partials/map.mustache), drawn with Leaflet over what the
// page already says: on the filing form, clicking the map or dragging its pin fills the latitude
// and longitude fields (and typing them, or "Use my location", moves the pin); on a complaint's
// page, the pin shows its place. Without JavaScript or without tiles the page works as before:
// the fields and the address stay, the map is only an aid.
(function () {
  'use strict';
  var element = document.getElementById('map');
  if (!element || !window.L) return;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  element.hidden = false;
  var data = element.dataset;
  var start = [Number(data.lat), Number(data.lon)];
  var map = L.map(element, { scrollWheelZoom: false }).setView(start, Number(data.zoom));
  L.tileLayer(data.tiles, {
    maxZoom: 19,
    attribution: escapeHtml(data.attribution),
    // The tile server sees which site asks (OpenStreetMap's policy refuses requests without it).
    referrerPolicy: 'strict-origin-when-cross-origin'
  }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  if (!data.pick) {
    L.marker(start, { keyboard: false, alt: 'The place of the complaint' }).addTo(map);
    return;
  }

  var lat = document.getElementById('lat');
  var lon = document.getElementById('lon');
  var marker = null;
  function fill(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
  }
  function place(latlng) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, alt: 'The place of the problem (drag to move)' }).addTo(map);
      marker.on('dragend', function () { fill(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
  }
  if (data.placed) place(start);
  map.on('click', function (event) {
    place(event.latlng);
    fill(event.latlng);
  });
  // Typed coordinates (or "Use my location", which announces its change) move the pin.
  function follow() {
    var latitude = Number(lat.value);
    var longitude = Number(lon.value);
    if (lat.value === '' || lon.value === '' || !isFinite(latitude) || !isFinite(longitude) ||
        Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return;
    place([latitude, longitude]);
    map.setView([latitude, longitude], Math.max(map.getZoom(), 16));
  }
  lat.addEventListener('change', follow);
  lon.addEventListener('change', follow);
})();
