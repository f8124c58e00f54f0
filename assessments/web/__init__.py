"""The candidate web app: pages that only render templates; data comes from the API and the socket."""
