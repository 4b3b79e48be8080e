"""What a person sees and hears: the panel's view model, the overlay, the wording."""
