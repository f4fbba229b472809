// Web push opt-in on the notification settings page: registers /sw.js, asks for permission
// only when the button is pressed, subscribes with the server's VAPID key and sends the
// subscription to the server. Without JavaScript the page still works (no push).
(function () {
  "use strict";
  var root = document.querySelector("[data-push]");
  var status = document.querySelector("[data-push-status]");
  if (!root) return;
  function say(text) { if (status) status.textContent = text; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot receive push notifications.");
    return;
  }
  var enable = root.querySelector("[data-push-enable]");
  var disable = root.querySelector("[data-push-disable]");
  var token = root.querySelector("input[name=csrfmiddlewaretoken]").value;

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    });
  }

  function show(subscribed) {
    enable.hidden = subscribed;
    disable.hidden = !subscribed;
  }

  var ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  });

  ready.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    root.hidden = false;
    var subscribed = Boolean(subscription) && Notification.permission === "granted";
    show(subscribed);
    // Keep the server in step with this browser (a subscription it dropped after the push
    // service said "gone", or one another person on this computer made): saving is idempotent.
    if (subscribed) post(root.dataset.subscribeUrl, subscription.toJSON());
    if (Notification.permission === "denied") {
      say("Notifications are blocked for this site in your browser's settings.");
    }
  }).catch(function () {
    say("Push notifications could not be set up in this browser.");
  });

  enable.addEventListener("click", function () {
    enable.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("You did not allow notifications, so push stays off.");
      }
      return ready;
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(root.dataset.publicKey)
        });
      });
    }).then(function (subscription) {
      return post(root.dataset.subscribeUrl, subscription.toJSON());
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) {
          throw new Error(body.error && body.error.message || "The server refused the subscription.");
        });
      }
      say("Push notifications are on in this browser.");
      show(true);
      window.location.reload();
    }).catch(function (error) {
      if (error.name === "NotAllowedError") {
        say("Your browser did not allow push notifications for this site.");
      } else if (error instanceof DOMException) {
        say("Push notifications could not be turned on in this browser (" + error.message + ").");
      } else {
        say(error.message || "Push notifications could not be turned on.");
      }
    }).finally(function () {
      enable.disabled = false;
    });
  });

  disable.addEventListener("click", function () {
    disable.disabled = true;
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return null;
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(root.dataset.unsubscribeUrl, { endpoint: endpoint });
      });
    }).then(function () {
      say("Push notifications are off in this browser.");
      show(false);
      window.location.reload();
    }).catch(function () {
      say("Push notifications could not be turned off.");
    }).finally(function () {
      disable.disabled = false;
    });
  });
})();
