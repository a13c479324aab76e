public enum FuzzPlaceholder {}
