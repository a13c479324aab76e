print("liplua")
