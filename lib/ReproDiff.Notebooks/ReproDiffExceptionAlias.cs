global using ReproDiffException = ReproDiff.ReproDiffException;
