// map.js: the map of a page (templates/partials/map.mustache), drawn with Leaflet over what the
// page already says: on the filing form, clicking the map or dragging its pin fills the latitude
// and longitude fields (and typing them, or "Use my location", moves the pin); on a complaint's
// page, the pin shows its place; on the admin's queue, a marker for each row of the table that
// has a position (data-marker), each opening a link to its complaint. Without JavaScript or
// without tiles the page works as before: the fields, the address and the table stay, the map is
// only an aid.
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

  if (data.markers) {
    var places = [];
    var rows = document.querySelectorAll('[data-marker]');
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i].dataset;
      var place = [Number(row.lat), Number(row.lon)];
      if (!isFinite(place[0]) || !isFinite(place[1])) continue;
      // Built as elements, never as HTML: the label is the complaint's category and status.
      var link = document.createElement('a');
      link.href = '/complaints/' + encodeURIComponent(row.marker);
      link.textContent = row.label;
      L.marker(place, { alt: row.label }).bindPopup(link).addTo(map);
      places.push(place);
    }
    if (places.length > 0) map.fitBounds(places, { padding: [24, 24], maxZoom: 16 });
    return;
  }
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
