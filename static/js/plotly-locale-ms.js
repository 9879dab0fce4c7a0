/*
 * Malay for the charts (plotly.js): month and day names on the time axes and in the hover
 * labels, and the tool bar's words. charts.js and heatmap.js pick it when the page is in
 * Malay (<html lang="ms">). Loaded after plotly.min.js; served from our origin.
 */
(function () {
  "use strict";

  if (!window.Plotly || !window.Plotly.register) {
    return;
  }
  window.Plotly.register({
    moduleType: "locale",
    name: "ms",
    dictionary: {
      "Autoscale": "Skala automatik",
      "Box Select": "Pilih kotak",
      "Click to enter Colorscale title": "Klik untuk memasukkan tajuk skala warna",
      "Compare data on hover": "Bandingkan data apabila dilalui",
      "Double-click to zoom back out": "Klik dua kali untuk mengezum keluar",
      "Lasso Select": "Pilih laso",
      "Pan": "Anjak",
      "Produced with Plotly.js": "Dihasilkan dengan Plotly.js",
      "Reset axes": "Set semula paksi",
      "Reset view": "Set semula paparan",
      "Show closest data on hover": "Tunjukkan data terdekat apabila dilalui",
      "Toggle Spike Lines": "Togol garis pancang",
      "Zoom": "Zum",
      "Zoom in": "Zum masuk",
      "Zoom out": "Zum keluar"
    },
    format: {
      days: ["Ahad", "Isnin", "Selasa", "Rabu", "Khamis", "Jumaat", "Sabtu"],
      shortDays: ["Ahd", "Isn", "Sel", "Rab", "Kha", "Jum", "Sab"],
      months: [
        "Januari", "Februari", "Mac", "April", "Mei", "Jun",
        "Julai", "Ogos", "September", "Oktober", "November", "Disember"
      ],
      shortMonths: ["Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ogo", "Sep", "Okt", "Nov", "Dis"],
      periods: ["PG", "PTG"],
      date: "%d/%m/%Y",
      decimal: ".",
      thousands: ","
    }
  });
})();
