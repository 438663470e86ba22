namespace ReproDiff.Models;

/// <summary>What a model is and where it comes from (RecBole's <c>type</c>/docstring, made explicit).</summary>
public sealed record ModelCard(string Name, string Paper, string Venue, string ReferenceCode, string Kind);
