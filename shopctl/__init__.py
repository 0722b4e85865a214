"""Running the shop: settings, the nginx config, the Procfile's processes and periodic jobs."""
