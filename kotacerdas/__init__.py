"""Kota Cerdas: the Smart City platform of Kabupaten Kotawaringin Timur."""
